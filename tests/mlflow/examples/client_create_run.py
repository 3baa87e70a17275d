# Origin: the example of MlflowClient.create_run, https://github.com/mlflow/mlflow/blob/master/mlflow/tracking/client.py
#         (rendered at https://mlflow.org/docs/latest/python_api/mlflow.client.html#mlflow.client.MlflowClient.create_run)
# License: Apache License 2.0, Copyright 2018 Databricks, Inc. and the MLflow contributors
#          (https://github.com/mlflow/mlflow/blob/master/LICENSE.txt).
# Reproduced as a test fixture to prove compatibility. Only the import lines differ from the
# original (mlflow -> mlm_jupyter.mlflow); tests/mlflow/test_mlflow_examples.py reverses that
# change to run the original against MLflow itself and compares the two stores.
from mlm_jupyter.mlflow import MlflowClient

# Create a run with a tag under the default experiment (whose id is '0').
tags = {"engineering": "ML Platform"}
name = "platform-run-24"
client = MlflowClient()
experiment_id = "0"
run = client.create_run(experiment_id, tags=tags, run_name=name)

# Show newly created run metadata info
print(f"Run tags: {run.data.tags}")
print(f"Experiment id: {run.info.experiment_id}")
print(f"Run id: {run.info.run_id}")
print(f"Run name: {run.info.run_name}")
print(f"lifecycle_stage: {run.info.lifecycle_stage}")
print(f"status: {run.info.status}")
