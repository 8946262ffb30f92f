"""Serve a class: Streamlit replicas of the app behind Debian's nginx, watched and restarted.

`make serve-class REPLICAS=N PORT=P` runs `python -m class_server serve`; see the README's
"Serving a class". One job per module: run_dir (the lock, PID files and logs under .run/),
replicas (one Streamlit process), nginx (its config from nginx.conf.template, and its
process), supervisor (start, watch, restart, stop), stop (`make stop-class`), metrics (the
line each replica answers at /_autograd/metrics), replica_app (the app as an st.App).
"""
