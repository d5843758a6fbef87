"""Fetches the Maven packages of infra/spark/packages.txt through Spark's own Ivy (what
spark.jars.packages does) into the given Ivy folder, then prints the jar paths as JSON on stdout."""
import json
import os
import sys

from pyspark.sql import SparkSession

packages_file, ivy_dir = sys.argv[1], sys.argv[2]
with open(packages_file) as f:
    packages = [line.strip() for line in f if line.strip() and not line.startswith("#")]
# Ivy prints to stdout; keep it off the JSON answer.
real_stdout = os.dup(1)
os.dup2(2, 1)
session = (
    SparkSession.builder.master("local[1]")
    .appName("lamina-resolve-jars")
    .config("spark.jars.packages", ",".join(packages))
    .config("spark.jars.ivy", ivy_dir)
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
session.stop()
jars_dir = os.path.join(ivy_dir, "jars")
jars = sorted(os.path.join(jars_dir, name) for name in os.listdir(jars_dir) if name.endswith(".jar"))
os.write(real_stdout, (json.dumps(jars) + "\n").encode())
