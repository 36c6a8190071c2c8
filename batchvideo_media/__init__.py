"""Pure media logic (text, subtitles, storyboard, composition, check analysis). No Dagster imports here."""
