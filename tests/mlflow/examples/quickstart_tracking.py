# Origin: https://github.com/mlflow/mlflow/blob/master/examples/quickstart/mlflow_tracking.py
# License: Apache License 2.0, Copyright 2018 Databricks, Inc. and the MLflow contributors
#          (https://github.com/mlflow/mlflow/blob/master/LICENSE.txt).
# Reproduced as a test fixture to prove compatibility. Only the import lines differ from the
# original (mlflow -> mlm_jupyter.mlflow); tests/mlflow/test_mlflow_examples.py reverses that
# change to run the original against MLflow itself and compares the two stores.
import os
from random import random, randint

from mlm_jupyter.mlflow import log_metric, log_param, log_artifacts

if __name__ == "__main__":
    print("Running mlflow_tracking.py")

    log_param("param1", randint(0, 100))

    log_metric("foo", random())
    log_metric("foo", random() + 1)
    log_metric("foo", random() + 2)
    log_metric("accuracy 2", random())

    if not os.path.exists("outputs"):
        os.makedirs("outputs")
    with open("outputs/test.txt", "w") as f:
        f.write("hello world!")

    log_artifacts("outputs")
