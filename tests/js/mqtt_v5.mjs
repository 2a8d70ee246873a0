// Interop with the npm `mqtt` client (MQTT 5 over TCP and WebSocket). Prints one JSON object with
// what it observed; tests/integration/test_mqtt_npm.py checks it against the expectations.
// Usage: node mqtt_v5.mjs <tcp url> <ws url> <device token> <username> <password>
import mqtt from "mqtt";

const [tcpUrl, wsUrl, token, username, password] = process.argv.slice(2);
const out = {};
const timeout = setTimeout(() => {
  out.error = "timeout";
  console.log(JSON.stringify(out));
  process.exit(2);
}, 20000);

function connect(url, opts) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once("connect", (ack) => resolve([c, ack]));
    c.once("error", reject);
  });
}
const publish = (c, topic, payload, opts) =>
  new Promise((resolve) => c.publish(topic, payload, opts, (err, packet) => resolve({ err: err ? String(err.message || err) : null, packet })));

const [sub, subAck] = await connect(tcpUrl, { clientId: "npm-sub", username, password });
out.connackProperties = subAck.properties || {};
const received = [];
sub.on("message", (topic, payload, packet) => received.push({ topic, payload: payload.toString(), properties: packet.properties || {} }));
await new Promise((r) => sub.subscribe("props/#", { qos: 1, properties: { subscriptionIdentifier: 7 } }, r));

const [pub] = await connect(tcpUrl, { clientId: "npm-pub", username, password });
await publish(pub, "props/one", "hello", {
  qos: 1,
  properties: {
    userProperties: { plant: "suzhou", line: "2" },
    contentType: "text/plain",
    responseTopic: "props/reply",
    correlationData: Buffer.from("abc"),
    messageExpiryInterval: 60,
    payloadFormatIndicator: true,
  },
});
await publish(pub, "props/alias", "first", { qos: 1, properties: { topicAlias: 3 } });
await publish(pub, "", "second", { qos: 1, properties: { topicAlias: 3 } });

// A device over WebSocket: valid telemetry, then an invalid payload (PUBACK reason 0x99).
const [dev] = await connect(wsUrl, { clientId: "npm-device", username: token });
out.telemetry = await publish(dev, "v1/devices/me/telemetry", JSON.stringify({ ts: 1700000000000, values: { npm: 7.25 } }), { qos: 1 });
out.invalid = await publish(dev, "v1/devices/me/telemetry", "{not json", { qos: 1 });

await new Promise((r) => setTimeout(r, 500));
out.received = received.map((m) => ({
  topic: m.topic,
  payload: m.payload,
  userProperties: m.properties.userProperties,
  contentType: m.properties.contentType,
  responseTopic: m.properties.responseTopic,
  correlationData: m.properties.correlationData ? Buffer.from(m.properties.correlationData).toString() : undefined,
  subscriptionIdentifier: m.properties.subscriptionIdentifier,
  hasExpiry: typeof m.properties.messageExpiryInterval === "number",
}));
out.telemetry = { err: out.telemetry.err };
out.invalid = { err: out.invalid.err };
for (const c of [sub, pub, dev]) c.end(true);
clearTimeout(timeout);
console.log(JSON.stringify(out));
