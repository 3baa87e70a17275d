# Origin: "Model Registry" guide of the MLflow docs, https://mlflow.org/docs/latest/ml/model-registry/
#         (docs/ in https://github.com/mlflow/mlflow): "Adding an MLflow Model to the Model Registry"
#         run twice to make versions 1 and 2 of the model the guide's snippets use, then its
#         "Deploy and Organize Models with Aliases and Tags" snippets, then loading by alias. Adapted, not
#         verbatim: the guide's snippets are fragments, so they are joined into one script; the alias is
#         written "champion" throughout (the guide also writes "Champion"; mlm aliases are lower case) and
#         a challenger alias and two descriptions are added to exercise those calls.
# License: Apache License 2.0, Copyright 2018 Databricks, Inc. and the MLflow contributors
#          (https://github.com/mlflow/mlflow/blob/master/LICENSE.txt).
# Reproduced as a test fixture to prove compatibility. Only the import lines differ from the
# original (mlflow -> mlm_jupyter.mlflow); tests/mlflow/test_mlflow_examples.py reverses that
# change to run the original against MLflow itself and compares the two stores.
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor

import mlm_jupyter.mlflow as mlflow
import mlm_jupyter.mlflow.sklearn
from mlm_jupyter.mlflow import MlflowClient
from mlm_jupyter.mlflow.models import infer_signature

for max_depth in (2, 3):
    with mlflow.start_run() as run:
        X, y = make_regression(n_features=4, n_informative=2, random_state=0, shuffle=False)
        params = {"max_depth": max_depth, "random_state": 42}
        model = RandomForestRegressor(**params)
        model.fit(X, y)

        # Infer the model signature
        y_pred = model.predict(X)
        signature = infer_signature(X, y_pred)

        # Log parameters and metrics using the MLflow APIs
        mlflow.log_params(params)
        mlflow.log_metrics({"max_error": float(abs(y - y_pred).max())})

        # Log the sklearn model and register it as a new version
        mlflow.sklearn.log_model(
            sk_model=model,
            name="sklearn-model",
            signature=signature,
            registered_model_name="example-model",
        )

client = MlflowClient()

# create "champion" alias for version 1 of model "example-model"
client.set_registered_model_alias("example-model", "champion", 1)

# reassign the "champion" alias to version 2
client.set_registered_model_alias("example-model", "champion", 2)

# get a model version by alias
client.get_model_version_by_alias("example-model", "champion")

# create a "challenger" alias and delete it again
client.set_registered_model_alias("example-model", "challenger", 1)
client.delete_registered_model_alias("example-model", "challenger")

# Set registered model tag
client.set_registered_model_tag("example-model", "task", "classification")

# Set model version tag
client.set_model_version_tag("example-model", "1", "validation_status", "approved")
client.set_model_version_tag("example-model", "2", "validation_status", "pending")

# Delete model version tag
client.delete_model_version_tag("example-model", "2", "validation_status")

# Describe the model and a version
client.update_registered_model(name="example-model", description="RandomForest regressors on synthetic data")
client.update_model_version(name="example-model", version=1, description="max_depth 2")

model = mlflow.pyfunc.load_model("models:/example-model@champion")
print(model.predict(X[:3]))
