"""The pure core: knowledge loading and validation, matching, answers and rendering. No Discord imports."""
