"""`script`: the validated snapshot of a scripts row. Its data version drives staleness downstream."""

from collections.abc import Iterator

import dagster as dg
from sqlalchemy import select

from batchvideo_assets.common import SERVICE_RETRY, bad_input_is_final
from batchvideo_assets.dagster_compat import forget_input_version
from batchvideo_assets.facet_events import facet_observations, latest_observed
from batchvideo_assets.partitions import facet_key, scripts_partitions
from batchvideo_assets.verdict import deliver
from batchvideo_assets.video_runs import REVISION_TAG
from batchvideo_resources.catalog_spec import build_spec, espeak_voice_exists
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Language, Script
from batchvideo_resources.facets import NARRATION, facet_digests
from batchvideo_resources.manifests import ScriptManifest
from batchvideo_resources.script_spec import BadScriptError
from batchvideo_resources.tts import TTSResource


def guess_language_code(content: str) -> str:
    cjk = sum(1 for ch in content if "\u4e00" <= ch <= "\u9fff")
    return "zh-CN" if cjk * 4 >= len(content.strip()) * 1 and cjk else "en-US"


# What reading a stored value raises when raw SQL put something unreadable there: invalid or too
# deeply nested JSON, a word that is not a boolean, a number a driver cannot convert.
UNREADABLE = (ValueError, TypeError, RecursionError)


def _load_row(session, script_id: int) -> Script | None:
    """The row, or a BadScriptError naming the column whose stored value cannot even be read
    (e.g. invalid JSON written into `extra` by raw SQL). Database outages still raise as they are."""
    try:
        return session.get(Script, script_id)
    except UNREADABLE as exc:  # JSON/boolean/number decoding of a stored value
        session.rollback()
        for column in Script.__table__.columns:
            try:
                session.execute(select(column).where(Script.id == script_id)).all()
            except UNREADABLE as col_exc:
                raise BadScriptError(column.name, f"stored value cannot be read ({col_exc})") from exc
        raise BadScriptError("row", f"cannot be read ({exc})") from exc


def load_spec(session, script_id: int):
    row = _load_row(session, script_id)
    if row is None:
        raise BadScriptError("id", f"no script with id {script_id}")
    if row.deleted_at is not None:
        raise BadScriptError("deleted_at", f"script {script_id} was deleted")
    for relation in ("language", "voice", "topic", "account"):
        try:
            getattr(row, relation)
        except UNREADABLE as exc:
            session.rollback()
            raise BadScriptError(relation, f"the {relation} row's stored values cannot be read ({exc})") from exc
    if row.language is None and row.language_id is None:
        code = guess_language_code(row.content or "")
        row.language = session.scalar(select(Language).where(Language.code == code))
    elif row.language is None:
        raise BadScriptError("language_id", f"no language with id {row.language_id}")
    # Rows written by other services may reference ids that do not exist (or no longer do).
    for field, related in (("voice_id", row.voice), ("topic_id", row.topic), ("account_id", row.account)):
        if getattr(row, field) is not None and related is None:
            raise BadScriptError(field, f"no {field[:-3]} with id {getattr(row, field)}")
    return build_spec(row)


def _snapshot(session, script_id: int, attempts: int = 3):
    """(spec, facets as stored, revision) of one state of the row. An edit that commits between reading
    the spec and reading the stored facets would pair one revision's text with another's digests, so
    the pair is read again until both saw the same revision."""
    for _ in range(attempts):
        spec = load_spec(session, script_id)
        revision = session.get(Script, script_id).revision  # the row load_spec read (identity map)
        # An asset never edits the rows it reads (a detected language written back would look like an
        # edit to the scripts sensor): drop whatever load_spec resolved onto the row.
        session.rollback()
        stored = session.get(Script, script_id)
        if stored is None:  # hard-deleted between the two reads
            raise BadScriptError("id", f"no script with id {script_id}")
        if stored.revision == revision:
            return spec, facet_digests(stored), revision  # as stored, like the sensor sees it
    raise RuntimeError(f"script {script_id} kept changing while it was read; retried")


def _tag_revision_read(context: dg.AssetExecutionContext, revision: int) -> None:
    """The run's revision tag says what this step read, not what was current when the run was queued:
    the write-back reports it and the sensor counts that revision as rendered (an edit between queueing
    and this step is then not rendered a second time)."""
    if context.run.tags.get(REVISION_TAG) != str(revision):
        context.instance.add_run_tags(context.run_id, {REVISION_TAG: str(revision)})


def check_tts_voice(spec, tts: TTSResource) -> None:
    """An unknown espeak voice is a bad row (not worth retrying), so it fails here by name."""
    if tts.backend != "http" and not spec.extra.audio and not espeak_voice_exists(spec.language.tts_voice):
        raise BadScriptError("language.tts_voice",
                             f"espeak-ng has no voice {spec.language.tts_voice!r} for language {spec.language.code}")


def script_facts(script: ScriptManifest) -> dict:
    spec = script.spec
    w, h = spec.canvas
    return {"title": spec.title, "language": spec.language.code, "characters": len(spec.content),
            "resolution": f"{w}x{h}", "speech_speed": spec.speech_speed, "topic": spec.topic.name,
            "account": spec.account.username, "digest": script.digest, "revision": script.revision,
            **{f"facet_{k}": v for k, v in script.facets.items()}}


def _facet_spec(facet: str, what: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        facet_key(facet), partitions_def=scripts_partitions, group_name="script", kinds={"sql"},
        description=f"The scripts row's {what}, as stored (joined rows included). Observed by scripts_sensor: "
                    "its data version is a digest of those values, so an edit shows which stages it makes stale.")


# The scripts table, observed by the sensor in four facets (see batchvideo_resources.facets).
scripts_narration = _facet_spec("narration", "narration: text, language, voice, speed, orientation")
scripts_visual_style = _facet_spec("visual_style", "visual style: topic, b-roll ratio, seed")
scripts_presentation = _facet_spec("presentation", "presentation: subtitle style, font, transitions, music, presenter")
scripts_branding = _facet_spec("branding", "branding: logo, watermark, titles")


@dg.asset(
    partitions_def=scripts_partitions, code_version="1", group_name="script", kinds={"sql", "pydantic"},
    deps=[scripts_narration, scripts_visual_style, scripts_presentation, scripts_branding],
    retry_policy=SERVICE_RETRY,  # a database blip is retried; a bad row raises a non-retried Failure
    description="Validated snapshot of the scripts row with its language, voice, topic and account resolved. "
                "Its data version is the narration digest: only a narration edit makes every stage stale.",
)
def script(context: dg.AssetExecutionContext, db: DatabaseResource, tts: TTSResource
           ) -> Iterator[dg.Output[ScriptManifest]]:
    try:
        script_id = int(context.partition_key)
    except ValueError:
        raise dg.Failure(description=f"id: partition key {context.partition_key!r} is not a script id",
                         allow_retries=False) from None
    with bad_input_is_final(), db.session() as session, session.no_autoflush:
        spec, facets, revision = _snapshot(session, script_id)
        check_tts_voice(spec, tts)
    _tag_revision_read(context, revision)
    # The facets this render read, as observations where they differ from the last one (always on a
    # first render: the sensor writes none for a new script). Logged before the output, so this step
    # and every later one record them as their inputs and the UI can show what a later edit makes stale.
    seen = latest_observed(context.instance, [context.partition_key]).get(context.partition_key, {})
    for observation in facet_observations(context.partition_key, facets,
                                          [f for f in facets if seen.get(f) != facets[f]]):
        context.log_event(observation)
        # Dagster read this step's input versions when the step started, before these existed; drop
        # the cached ones (Dagster's own hook for an input written during the step) so `script`'s
        # provenance names them and a later edit shows `script` stale too.
        forget_input_version(context, observation.asset_key)
    value = ScriptManifest(spec=spec, digest=spec.digest(), facets=facets, revision=revision)
    yield from deliver(value, script_facts(value), data_version=dg.DataVersion(facets[NARRATION]))
