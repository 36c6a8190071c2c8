"""`script`: the validated snapshot of a scripts row. Its data version drives staleness downstream."""


import dagster as dg
from sqlalchemy import select

from batchvideo_assets.assets.common import bad_input_is_final
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Language, Script
from batchvideo_resources.script_spec import BadScriptError, build_spec


def guess_language_code(content: str) -> str:
    cjk = sum(1 for ch in content if "\u4e00" <= ch <= "\u9fff")
    return "zh-CN" if cjk * 4 >= len(content.strip()) * 1 and cjk else "en-US"


def load_spec(session, script_id: int):
    row = session.get(Script, script_id)
    if row is None:
        raise BadScriptError("id", f"no script with id {script_id}")
    if row.deleted_at is not None:
        raise BadScriptError("deleted_at", f"script {script_id} was deleted")
    if row.language is None and row.language_id is None:
        code = guess_language_code(row.content or "")
        row.language = session.scalar(select(Language).where(Language.code == code))
    elif row.language is None:
        raise BadScriptError("language_id", f"no language with id {row.language_id}")
    return build_spec(row)


@dg.asset(
    partitions_def=scripts_partitions, group_name="script", kinds={"sql", "pydantic"},
    description="Validated snapshot of the scripts row with its language, voice, topic and account resolved.",
)
def script(context: dg.AssetExecutionContext, db: DatabaseResource) -> dg.Output[dict]:
    try:
        script_id = int(context.partition_key)
    except ValueError:
        raise dg.Failure(description=f"id: partition key {context.partition_key!r} is not a script id",
                         allow_retries=False) from None
    with bad_input_is_final(), db.session() as session:
        spec = load_spec(session, script_id)
    digest = spec.digest()
    w, h = spec.canvas
    return dg.Output(
        {"spec": spec.model_dump(mode="json"), "digest": digest},
        data_version=dg.DataVersion(digest),
        metadata={"title": spec.title, "language": spec.language.code, "characters": len(spec.content),
                  "resolution": f"{w}x{h}", "speech_speed": spec.speech_speed, "topic": spec.topic.name,
                  "account": spec.account.username, "digest": digest},
    )
