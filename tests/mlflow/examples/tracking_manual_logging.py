# Origin: "Manual Logging" in the MLflow Tracking APIs guide,
#         https://mlflow.org/docs/2.11.3/tracking/tracking-api.html (docs/source/tracking/tracking-api.rst
#         in https://github.com/mlflow/mlflow).
# License: Apache License 2.0, Copyright 2018 Databricks, Inc. and the MLflow contributors
#          (https://github.com/mlflow/mlflow/blob/master/LICENSE.txt).
# Reproduced as a test fixture to prove compatibility. Only the import lines differ from the
# original (mlflow -> mlm_jupyter.mlflow); tests/mlflow/test_mlflow_examples.py reverses that
# change to run the original against MLflow itself and compares the two stores.
import mlm_jupyter.mlflow as mlflow

with mlflow.start_run():
    for epoch in range(0, 3):
        mlflow.log_metric(key="quality", value=2 * epoch, step=epoch)
