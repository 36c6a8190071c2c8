"""One way to make an S3 client, shared by the media store and the stock library."""

from __future__ import annotations


def s3_client(endpoint_url: str | None, region: str | None):
    """boto3 S3 client: SigV4, standard retries, path-style addressing for custom endpoints (MinIO and
    other S3-compatible stores have no per-bucket DNS names). Credentials come from boto3's own chain
    (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, IRSA, instance roles)."""
    import boto3
    from botocore.config import Config

    config = Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"},
                    s3={"addressing_style": "path" if endpoint_url else "auto"})
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
