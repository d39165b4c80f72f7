import { test } from "uvu";
import * as assert from "uvu/assert";
import { startTestApp } from "../helpers/app.js";

test("GET /metrics needs a key by default and reports HTTP durations by route template", async () => {
  const t = await startTestApp();
  try {
    assert.is((await t.request("/metrics", { key: null })).status, 401);
    await t.request("/api/v1/cameras/6f1c1b1e-8d5a-4c39-9f0e-2a1b3c4d5e6f");
    const res = await t.request("/metrics");
    assert.is(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", "text/plain");
    const text = await res.text();
    assert.match(text, /argus_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/cameras\/:id",status="404"\} 1/);
    assert.not.ok(text.includes("6f1c1b1e"), "raw ids never become labels");
    assert.match(text, /argus_mqtt_connection_state\{state="disabled"\} 1/);
    assert.match(text, /argus_worker_event_loop_delay_p99_seconds \d/);
    assert.match(text, /argus_nodejs_eventloop_lag_seconds/);
    assert.match(text, /argus_outbox_depth 0/);
    assert.match(text, /argus_outbox_oldest_age_seconds 0/);
  } finally {
    await t.close();
  }
});

test("METRICS_PUBLIC=true serves /metrics without a key", async () => {
  const t = await startTestApp({ env: { METRICS_PUBLIC: "true" } });
  try {
    assert.is((await t.request("/metrics", { key: null })).status, 200);
  } finally {
    await t.close();
  }
});

test.run();
