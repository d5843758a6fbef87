"""Lamina's Spark driver: one SparkSession that runs what the batch layer's Spark engine asks
(spark-session.ts). Requests are JSON lines on stdin; each answer is one JSON line on file
descriptor 3, because Spark, Ivy and py4j write to stdout and stderr.

Ops: register (a temp view over Parquet files), table (a small temp view from rows), cache (a
query's result as a temp view, materialised once), query (rows of a small result), write (a
result as Parquet partitioned by _date), drop, stop."""
import json
import os
import sys


def answer(out, message):
    try:
        line = json.dumps(message, default=str, allow_nan=False)
    except ValueError:
        # NaN or Infinity in a result: JSON has no such number, and Lamina's states never hold one.
        line = json.dumps({"id": message["id"], "error": "a result holds a non-finite number", "kind": "ValueError"})
    out.write(line + "\n")
    out.flush()


def error_class(spark, error):
    """The innermost Spark error class behind an error (a failed job wraps the executor's in SparkException)."""
    getter = getattr(error, "getErrorClass", None)
    found = None
    if callable(getter):
        try:
            found = getter()
        except Exception:  # noqa: BLE001 - only a hint for the error's mapping
            found = None
    java = getattr(error, "java_exception", None)
    try:
        throwable = spark._jvm.java.lang.Class.forName("org.apache.spark.SparkThrowable")
        depth = 0
        while java is not None and depth < 20:
            if throwable.isInstance(java) and java.getErrorClass() is not None:
                found = java.getErrorClass()
            java = java.getCause()
            depth += 1
    except Exception:  # noqa: BLE001 - the JVM may be gone; the kind still says what failed
        pass
    return found


def handle(spark, request, cached):
    op = request["op"]
    if op == "register":
        # The table's schema given, not inferred: a column a file lacks (added later) reads as null,
        # as DuckDB's union_by_name. recursiveFileLookup: no partition columns from folder names.
        files = request["files"]
        if files:
            frame = spark.read.schema(request["schema"]).option("recursiveFileLookup", "true").parquet(*files)
        else:
            frame = spark.createDataFrame([], request["schema"])
        frame.createOrReplaceTempView(request["name"])
        return {}
    if op == "table":
        from pyspark.sql.types import DoubleType, _parse_datatype_string

        # JSON has one number type: 1.0 arrives as 1, which a DOUBLE column refuses.
        schema = _parse_datatype_string(request["schema"])
        doubles = {i for i, field in enumerate(schema.fields) if isinstance(field.dataType, DoubleType)}
        rows = [[float(v) if i in doubles and v is not None else v for i, v in enumerate(row)] for row in request["rows"]]
        frame = spark.createDataFrame(rows, schema).persist()
        frame.count()
        frame.createOrReplaceTempView(request["name"])
        cached[request["name"]] = frame
        return {}
    if op == "cache":
        frame = spark.sql(request["sql"]).persist()
        frame.count()
        frame.createOrReplaceTempView(request["name"])
        cached[request["name"]] = frame
        return {}
    if op == "query":
        return {"rows": [list(row) for row in spark.sql(request["sql"]).collect()]}
    if op == "write":
        spark.sql(request["sql"]).write.mode("errorifexists").partitionBy("_date").parquet(request["path"])
        return {}
    if op == "drop":
        for name in request["names"]:
            frame = cached.pop(name, None)
            if frame is not None:
                frame.unpersist()
            spark.catalog.dropTempView(name)
        return {}
    if op == "stop":
        return {}
    raise ValueError(f"unknown op {op!r}")


def main():
    settings = json.loads(sys.argv[1])
    out = os.fdopen(3, "w")
    try:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master(settings["master"]).appName(settings["appName"])
        for key, value in settings["conf"].items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    except Exception as error:  # noqa: BLE001 - every start failure is reported, then the process ends
        answer(out, {"id": 0, "error": str(error)[:4000], "kind": type(error).__name__})
        return 2
    answer(out, {"id": 0, "ok": True, "version": spark.version})
    cached = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer(out, {"id": request["id"], "ok": True, **handle(spark, request, cached)})
        except Exception as error:  # noqa: BLE001 - the engine maps the kind to a typed error
            answer(out, {"id": request["id"], "error": str(error)[:4000], "kind": type(error).__name__, "errorClass": error_class(spark, error)})
        if request["op"] == "stop":
            break
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
