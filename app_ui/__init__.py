"""The Streamlit page's helpers: presets, share links, the step card, the player, cached work.

`app.py` stays a thin `main()`; everything here but `player` and `page` is plain Python that
tests can call without a running Streamlit.
"""
