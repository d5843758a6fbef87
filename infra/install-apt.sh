#!/usr/bin/env bash
# Installs the Debian packages the local stack's tooling uses, only when missing:
#   kcat          Kafka command-line client (inspect topics: kcat -b 127.0.0.1:19092 -L)
#   java, maven   only if absent (the polyglot machine image ships both): Kafka runs on the JVM and
#                 its jars come through `mvn dependency:copy-dependencies`
#   chromium      the headless browser of the dashboard test (test/dashboard-browser.test.ts), driven
#                 by playwright-core at /usr/bin/chromium
# Go is not installed here: Debian's is too old for MinIO (needs Go >= 1.24); use the machine's.
# Runs `apt-get update` at most once per invocation. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-apt.sh: not root and no sudo; install by hand: apt-get install -y kcat" >&2; exit 1
  fi
fi

wanted=()
command -v kcat >/dev/null 2>&1 || wanted+=(kcat)
command -v java >/dev/null 2>&1 || wanted+=(openjdk-17-jre-headless)
command -v mvn  >/dev/null 2>&1 || wanted+=(maven)
[ -x /usr/bin/chromium ]         || wanted+=(chromium)

if [ "${#wanted[@]}" -eq 0 ]; then
  echo "install-apt.sh: kcat, java, mvn and chromium already present"
  exit 0
fi

echo "install-apt.sh: installing ${wanted[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${wanted[@]}"
command -v kcat >/dev/null 2>&1 || { echo "install-apt.sh: kcat still missing after install" >&2; exit 1; }
echo "install-apt.sh: done ($(kcat -V 2>/dev/null | head -n 1))"
