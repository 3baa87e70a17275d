# Origin: the two examples of mlflow.log_table, https://github.com/mlflow/mlflow/blob/master/mlflow/tracking/fluent.py
#         (rendered at https://mlflow.org/docs/latest/python_api/mlflow.html#mlflow.log_table)
# License: Apache License 2.0, Copyright 2018 Databricks, Inc. and the MLflow contributors
#          (https://github.com/mlflow/mlflow/blob/master/LICENSE.txt).
# Reproduced as a test fixture to prove compatibility. Only the import lines differ from the
# original (mlflow -> mlm_jupyter.mlflow); tests/mlflow/test_mlflow_examples.py reverses that
# change to run the original against MLflow itself and compares the two stores.
import mlm_jupyter.mlflow as mlflow

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}
with mlflow.start_run():
    # Log the dictionary as a table
    mlflow.log_table(data=table_dict, artifact_file="qabot_eval_results.json")

import mlm_jupyter.mlflow as mlflow
import pandas as pd

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}
df = pd.DataFrame.from_dict(table_dict)
with mlflow.start_run():
    # Log the df as a table
    mlflow.log_table(data=df, artifact_file="qabot_eval_results.json")
