"""Python helpers for feature modules built from skewless definitions.

A feature module (skewless_add_python_module, docs/python.md) is self-contained; this
package adds what sits around it: skewless.spark.training_set for backfills on Spark.
"""

__version__ = "0.1.0"
