"""`batchvideo demo`: sample data and two rendered videos (Chinese and English)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

from batchvideo_resources import settings

ZH = ("人工智能如何改变我们的生活",
      "大家好，欢迎收看今天的科普小课堂！人工智能已经悄悄走进了我们生活的方方面面。"
      "早上醒来，智能音箱为你播报天气；出门上班，导航软件帮你避开拥堵。"
      "在医院里，医生借助算法更早地发现疾病；在工厂中，机器人日夜不停地精确工作。"
      "不过，技术越强大，我们越需要思考它的边界：数据隐私、算法偏见、就业变化，都值得认真对待。"
      "你觉得人工智能会让未来更美好吗？欢迎在评论区留言讨论。")
EN = ("Why the ocean is salty",
      "Have you ever wondered why the ocean is salty, while rivers and lakes are fresh? "
      "The answer begins on land. Rain is slightly acidic, and as it falls it slowly wears down rocks. "
      "Tiny amounts of minerals, like sodium and chloride, wash into rivers and travel to the sea. "
      "When seawater evaporates, the water leaves but the salt stays behind. "
      "Over hundreds of millions of years, that salt has built up to about thirty five grams in every litre. "
      "So next time you swim in the sea, remember: you are tasting the mountains of the past.")


def run_demo(echo: Callable[[str], None]) -> bool:
    import json

    from batchvideo_app.catalog import (
        add_script,
        default_asset_root,
        ensure_sample_assets,
        seed_reference_data,
    )
    from batchvideo_app.render import render_scripts
    from batchvideo_resources.db import session_scope, upgrade
    from batchvideo_resources.stock import create_sample_library

    upgrade(settings.db_url())
    ensure_sample_assets(default_asset_root())
    create_sample_library(settings.stock_dir())
    with session_scope(settings.db_url()) as session:
        seed_reference_data(session)
        zh = add_script(session, {"title": ZH[0], "content": ZH[1], "language": "zh-CN", "topic": "science",
                                  "account": "demo", "extra": {"broll_ratio": 0.3}})
        en = add_script(session, {"title": EN[0], "content": EN[1], "language": "en-US", "topic": "science",
                                  "account": "demo", "speech_speed": 1.1})
        ids = [str(zh.id), str(en.id)]
    echo(f"rendering scripts {', '.join(ids)} (Chinese, English) on the embedded defaults…")
    ok = True
    for result in render_scripts(ids):
        ok &= result["status"] == "SUCCESS"
        echo(json.dumps({k: v for k, v in result.items() if k != "run_id"}, ensure_ascii=False))
        video = result["outputs"].get("logoed_video")
        if video:
            path = urlparse(video).path if video.startswith("file://") else video
            echo(f"script {result['id']}: video {path}")
    return ok
