"""The Streamlit page and its parts: `page` (the page; app.py calls its `main()`), presets and
pitfall scenarios, share links, the step card, the player component, checks, plots, tables and
the cached work behind them (`compute`).

`page`, `player`, `checks` and `plots` draw with Streamlit; the rest is plain Python that tests
call without a running Streamlit.
"""
