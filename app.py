"""Autograd Explorer: `streamlit run app.py` serves the page (app_ui/page.py, in the package)."""

from app_ui.page import main

main()
