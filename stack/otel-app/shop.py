"""A small shop instrumented by the OpenTelemetry SDK, exported to Prometheus.

Run by the test stack (stack/src/otel_app.rs) as
    python shop.py APP_PORT METRICS_PORT
It serves /products (quick) and /checkout (slower, and failing about a third
of the time) on 127.0.0.1:APP_PORT, drives a little traffic at itself, and
exposes its metrics on 127.0.0.1:METRICS_PORT/metrics as OpenTelemetry's
Prometheus exporter writes them (http_server_request_duration_seconds with
http_request_method, http_response_status_code and http_route).
"""

import os
import random
import sys
import threading
import time
import urllib.request

# The stable HTTP semantic conventions (seconds, http_response_status_code).
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")

from flask import Flask  # noqa: E402
from opentelemetry import metrics  # noqa: E402
from opentelemetry.exporter.prometheus import PrometheusMetricReader  # noqa: E402
from opentelemetry.instrumentation.flask import FlaskInstrumentor  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from prometheus_client import start_http_server  # noqa: E402

app_port, metrics_port = int(sys.argv[1]), int(sys.argv[2])
metrics.set_meter_provider(
    MeterProvider(
        resource=Resource.create({"service.name": "shop"}),
        metric_readers=[PrometheusMetricReader()],
    )
)
start_http_server(metrics_port, addr="127.0.0.1")

app = Flask("shop")
FlaskInstrumentor().instrument_app(app)


@app.route("/products")
def products():
    time.sleep(random.uniform(0.001, 0.02))
    return "ok"


@app.route("/checkout")
def checkout():
    time.sleep(random.uniform(0.01, 0.05))
    if random.random() < 0.3:
        return "payment failed", 500
    return "ok"


def traffic():
    while True:
        for path in ("/products", "/products", "/checkout"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{app_port}{path}", timeout=2).read()
            except Exception:  # a 500 raises; it was counted all the same
                pass
        time.sleep(0.05)


threading.Thread(target=traffic, daemon=True).start()
app.run(host="127.0.0.1", port=app_port)
