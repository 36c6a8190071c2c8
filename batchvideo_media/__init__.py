"""Pure media logic (text, subtitles, storyboard, ffmpeg graphs). No Dagster imports here."""
