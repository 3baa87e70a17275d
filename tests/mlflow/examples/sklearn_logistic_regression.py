# Origin: https://github.com/mlflow/mlflow/blob/master/examples/sklearn_logistic_regression/train.py
# License: Apache License 2.0, Copyright 2018 Databricks, Inc. and the MLflow contributors
#          (https://github.com/mlflow/mlflow/blob/master/LICENSE.txt).
# Reproduced as a test fixture to prove compatibility. Only the import lines differ from the
# original (mlflow -> mlm_jupyter.mlflow); tests/mlflow/test_mlflow_examples.py reverses that
# change to run the original against MLflow itself and compares the two stores.
import numpy as np
from sklearn.linear_model import LogisticRegression

import mlm_jupyter.mlflow as mlflow
import mlm_jupyter.mlflow.sklearn
from mlm_jupyter.mlflow.models import infer_signature

if __name__ == "__main__":
    X = np.array([-2, -1, 0, 1, 2, 1]).reshape(-1, 1)
    y = np.array([0, 0, 1, 1, 1, 0])
    lr = LogisticRegression()
    lr.fit(X, y)
    score = lr.score(X, y)
    print(f"Score: {score}")
    mlflow.log_metric("score", score)
    predictions = lr.predict(X)
    signature = infer_signature(X, predictions)
    mlflow.sklearn.log_model(lr, "model", signature=signature, input_example=X)
    print(f"Model saved in run {mlflow.active_run().info.run_id}")
