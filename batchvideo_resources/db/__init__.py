from batchvideo_resources.db.models import Account, Base, Language, Script, ScriptChange, ScriptRun, Topic, Voice
from batchvideo_resources.db.session import engine_for, session_scope, upgrade

__all__ = [
    "Account", "Base", "Language", "Script", "ScriptChange", "ScriptRun", "Topic", "Voice",
    "engine_for", "session_scope", "upgrade",
]
