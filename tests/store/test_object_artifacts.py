"""Artifacts in object storage, against a real S3 endpoint on localhost (moto in server mode)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mlm_jupyter.core.errors import IntegrityError, StoreError
from mlm_jupyter.store.object_artifacts import CHUNK_BYTES
from mlm_jupyter.tracking.client import MlmClient

moto_server = pytest.importorskip("moto.server")
pytest.importorskip("s3fs")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    import boto3

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "MLM_S3_ENDPOINT_URL": s3_endpoint,
                       "MLM_NO_SERVER": "1"}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"bucket-{hashlib.sha256(str(id(monkeypatch)).encode()).hexdigest()[:10]}"
    client.create_bucket(Bucket=name)
    yield client, name


def _keys(client, bucket: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_artifacts_and_models_live_in_the_bucket_and_every_read_is_verified(s3, tmp_path: Path, monkeypatch) -> None:
    client_s3, bucket = s3
    monkeypatch.setenv("MLM_ARTIFACTS", f"s3://{bucket}/team/artifacts")
    big = tmp_path / "big.bin"
    big.write_bytes(np.random.default_rng(0).bytes(2 * CHUNK_BYTES + 123))  # three multipart chunks
    client = MlmClient(tmp_path / "store")
    seen: list[tuple[int, int]] = []
    client.store.remote.progress = lambda sha, done, total: seen.append((done, total))
    try:
        run = client.create_run("s3", "with-artifacts")
        (digest,) = client.log_artifact(run.id, big)
        assert seen[-1] == (big.stat().st_size, big.stat().st_size) and len(seen) == 3
        X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
        version = client.log_model(run.id, LogisticRegression().fit(X, y), "s3-model")
        client.end_run(run.id)
        keys = _keys(client_s3, bucket)
        assert f"team/artifacts/{digest[:2]}/{digest}" in keys
        assert f"team/artifacts/{version.sha256[:2]}/{version.sha256}" in keys
        assert client.store.describe()["artifacts"] == f"s3://{bucket}/team/artifacts"
    finally:
        client.close()

    # a second machine: an empty cache; reads come from the bucket, verified
    import shutil

    shutil.rmtree(tmp_path / "store" / "artifacts")
    other = MlmClient(tmp_path / "store")
    try:
        assert other.store.read_blob(digest) == big.read_bytes()
        model = other.load_model("models:/s3-model/1")
        assert list(model.predict(X)) == [0, 0, 1, 1]
        # the bucket's copy is tampered with: a fresh cache refuses it
        client_s3.put_object(Bucket=bucket, Key=f"team/artifacts/{digest[:2]}/{digest}", Body=b"evil")
        (tmp_path / "store" / "artifacts" / digest[:2] / digest).unlink()
        with pytest.raises(IntegrityError, match="corrupt"):
            other.store.read_blob(digest)
        assert not (tmp_path / "store" / "artifacts" / digest[:2] / digest).exists()
    finally:
        other.close()


def test_a_bucket_that_disappears_mid_upload_records_nothing(s3, tmp_path: Path, monkeypatch) -> None:
    client_s3, bucket = s3
    monkeypatch.setenv("MLM_ARTIFACTS", f"s3://{bucket}/a")
    big = tmp_path / "big.bin"
    big.write_bytes(np.random.default_rng(1).bytes(3 * CHUNK_BYTES))
    client = MlmClient(tmp_path / "store")

    def vanish(sha256: str, done: int, total: int) -> None:
        if done == CHUNK_BYTES:  # after the first part: the bucket is deleted under the upload
            for key in _keys(client_s3, bucket):
                client_s3.delete_object(Bucket=bucket, Key=key)
            for upload in client_s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                client_s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            client_s3.delete_bucket(Bucket=bucket)

    client.store.remote.progress = vanish
    try:
        run = client.create_run("s3", "doomed")
        with pytest.raises(StoreError, match="nothing was recorded as stored"):
            client.log_artifact(run.id, big)
        assert client.get_run(run.id).artifacts == ()
        digest = hashlib.sha256(big.read_bytes()).hexdigest()
        assert not (tmp_path / "store" / "artifacts" / digest[:2] / digest).exists()
        assert [p for p in (tmp_path / "store" / "artifacts").rglob("*") if p.is_file()] == []  # no temp left
        client.end_run(run.id, "failed")
    finally:
        client.close()


def test_a_local_path_works_as_the_artifact_location(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLM_NO_SERVER", "1")
    monkeypatch.setenv("MLM_ARTIFACTS", str(tmp_path / "shared"))
    client = MlmClient(tmp_path / "store")
    try:
        digest = client.store.put_blob(b"hello")
        assert (tmp_path / "shared" / digest[:2] / digest).read_bytes() == b"hello"
        (tmp_path / "store" / "artifacts" / digest[:2] / digest).unlink()
        assert client.store.read_blob(digest) == b"hello"
    finally:
        client.close()
