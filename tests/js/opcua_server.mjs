// A node-opcua server for Kaiwu's OPC UA driver tests (tests only: it accepts every client
// certificate). Listens on 127.0.0.1 and a free port, prints "PORT <n>" on stdout when ready and
// runs until stdin closes or it is killed.
//
//   node tests/js/opcua_server.mjs <pki-dir>
//
// Address space (namespace 1, under Objects/Plant):
//   s=Speed Double 1234.5 · s=Temperature Float 21.5 · s=Count Int32 -42 · s=Status UInt16 7
//   s=Running Boolean true · s=Name String "Line 1" · i=1001 Double 3.25 (Pressure)
//   s=Setpoint Double 10 (writable) · s=Counter UInt32 +1 every 100 ms
// Security: None, Basic256Sha256 Sign and SignAndEncrypt; anonymous or operator / secret-42.
import net from "node:net";
import path from "node:path";
import process from "node:process";

// node-opcua logs with console.log: keep stdout for the PORT line only.
const stdoutWrite = process.stdout.write.bind(process.stdout);
console.log = (...args) => console.error(...args);
const {
  OPCUAServer, OPCUACertificateManager, DataType, Variant, StatusCodes, MessageSecurityMode, SecurityPolicy,
} = await import("node-opcua");

const pki = process.argv[2];
if (!pki) {
  console.error("usage: opcua_server.mjs <pki-dir>");
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const serverCertificateManager = new OPCUACertificateManager({
  rootFolder: path.join(pki, "server"),
  automaticallyAcceptUnknownCertificate: true,
});
const server = new OPCUAServer({
  port,
  host: "127.0.0.1",
  hostname: "127.0.0.1",
  resourcePath: "/kaiwu",
  serverCertificateManager,
  securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
  securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
  allowAnonymous: true,
  userManager: {
    isValidUser: (user, password) => user === "operator" && password === "secret-42",
  },
  buildInfo: { productName: "kaiwu-test-server" },
});
await server.initialize();

const addressSpace = server.engine.addressSpace;
const ns = addressSpace.getOwnNamespace();
const plant = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "Plant", nodeId: "s=Plant" });

function constant(name, nodeId, dataType, value) {
  ns.addVariable({
    componentOf: plant, browseName: name, nodeId, dataType,
    accessLevel: "CurrentRead", userAccessLevel: "CurrentRead",
    value: new Variant({ dataType: DataType[dataType], value }),
  });
}
constant("Speed", "s=Speed", "Double", 1234.5);
constant("Temperature", "s=Temperature", "Float", 21.5);
constant("Count", "s=Count", "Int32", -42);
constant("Status", "s=Status", "UInt16", 7);
constant("Running", "s=Running", "Boolean", true);
constant("Name", "s=Name", "String", "Line 1");
constant("Pressure", "i=1001", "Double", 3.25);

let setpoint = 10.0;
ns.addVariable({
  componentOf: plant, browseName: "Setpoint", nodeId: "s=Setpoint", dataType: "Double",
  accessLevel: "CurrentRead | CurrentWrite", userAccessLevel: "CurrentRead | CurrentWrite",
  minimumSamplingInterval: 100,
  value: {
    get: () => new Variant({ dataType: DataType.Double, value: setpoint }),
    set: (v) => {
      if (v.dataType !== DataType.Double) return StatusCodes.BadTypeMismatch;
      setpoint = v.value;
      return StatusCodes.Good;
    },
  },
});

const counter = ns.addVariable({
  componentOf: plant, browseName: "Counter", nodeId: "s=Counter", dataType: "UInt32", minimumSamplingInterval: 50,
});
let count = 0;
counter.setValueFromSource({ dataType: DataType.UInt32, value: count });
const ticker = setInterval(() => {
  count += 1;
  counter.setValueFromSource({ dataType: DataType.UInt32, value: count });
}, 100);

await server.start();
stdoutWrite(`PORT ${port}\n`);

async function shutdown() {
  clearInterval(ticker);
  await server.shutdown(0);
  process.exit(0);
}
process.stdin.on("end", shutdown);
process.stdin.resume();
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
