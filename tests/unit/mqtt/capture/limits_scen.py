# Raw client against the limited broker (mosq2.conf) through proxy.py on 18845: provokes
# mosquitto's own DISCONNECT 0x95 (Packet too large) and 0x9B (QoS not supported). Only the
# broker's frames (s2c) of these scenarios are kept in frames.jsonl.
import socket, time
def lab(name):
    s = socket.create_connection(("127.0.0.1", 18846)); s.sendall(name.encode()); s.recv(10); s.close(); time.sleep(0.2)
lab("limits_raw_too_large")
c = socket.create_connection(("127.0.0.1", 18845))
c.sendall(bytes.fromhex("101300044d5154540502003c032100140003626967")); time.sleep(0.3); print(c.recv(100).hex())
topic = b"kaiwu/big"; payload = b"x" * 200
body = len(topic).to_bytes(2, "big") + topic + b"\x00" + payload
c.sendall(bytes([0x30, 0x80 | (len(body) & 0x7f), len(body) >> 7]) + body); time.sleep(0.5)
try: print("got", c.recv(100).hex())
except Exception as e: print(e)
lab("limits_raw_qos2")
c = socket.create_connection(("127.0.0.1", 18845))
c.sendall(bytes.fromhex("101300044d5154540502003c032100140003626967")); time.sleep(0.3); print(c.recv(100).hex())
c.sendall(bytes.fromhex("340e00076b616977752f7200010078")[:0] + bytes.fromhex("340d00076b616977752f7100010078")); time.sleep(0.5)
try: print("got", c.recv(100).hex())
except Exception as e: print(e)
lab("done")
