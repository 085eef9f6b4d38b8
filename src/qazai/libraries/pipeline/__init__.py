"""The publish pipeline: read → infer → profile → privacy → de-identify → assess → Parquet → publish."""

from qazai.libraries.pipeline.run import PIPELINE_VERSION, PipelineDeps, run_publish

__all__ = ["PIPELINE_VERSION", "PipelineDeps", "run_publish"]
