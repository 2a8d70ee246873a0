# paho-mqtt 1.6.1 scenarios (MQTT 5 properties, subscription options, enhanced auth, ping,
# unsubscribe, DISCONNECT with reason) through proxy.py on 18842; labels go to 18843.
import socket, sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.subscribeoptions import SubscribeOptions
from paho.mqtt.reasoncodes import ReasonCodes
P = 18842
def lab(name):
    s = socket.create_connection(("127.0.0.1", 18843)); s.sendall(name.encode()); s.recv(10); s.close(); time.sleep(0.2)

def run(c, secs):
    end = time.time() + secs
    while time.time() < end:
        c.loop(0.05)

# 1. MQTT 5 enhanced auth: mosquitto has no such method -> CONNACK 0x8C
lab("paho5_auth_rejected")
c = mqtt.Client(client_id="paho-auth", protocol=mqtt.MQTTv5)
cp = Properties(PacketTypes.CONNECT)
cp.AuthenticationMethod = "SCRAM-SHA-256"; cp.AuthenticationData = b"n,,n=user,r=abc"
c.connect("127.0.0.1", P, 30, clean_start=True, properties=cp)
run(c, 0.5)
try: c.disconnect()
except Exception: pass

# 2. MQTT 5 full session: will with props, subscribe options, unsubscribe, publish, disconnect with reason
lab("paho5_session")
c = mqtt.Client(client_id="paho5", protocol=mqtt.MQTTv5)
wp = Properties(PacketTypes.WILLMESSAGE)
wp.WillDelayInterval = 5; wp.ContentType = "text/plain"; wp.UserProperty = ("site", "sh-01")
c.will_set("kaiwu/paho/will", b"offline", qos=1, retain=True, properties=wp)
c.username_pw_set("dev-01", "tok\x00en")
cp = Properties(PacketTypes.CONNECT)
cp.SessionExpiryInterval = 3600; cp.ReceiveMaximum = 100; cp.UserProperty = [("a", "1"), ("b", "2"), ("a", "3")]
c.connect("127.0.0.1", P, 5, clean_start=False, properties=cp)
run(c, 0.3)
sp = Properties(PacketTypes.SUBSCRIBE); sp.SubscriptionIdentifier = 268435455
c.subscribe([("kaiwu/paho/#", SubscribeOptions(qos=1, noLocal=True, retainAsPublished=True, retainHandling=1)),
             ("kaiwu/+/x", SubscribeOptions(qos=2, retainHandling=2))], properties=sp)
run(c, 0.3)
pp = Properties(PacketTypes.PUBLISH)
pp.MessageExpiryInterval = 60; pp.UserProperty = ("k", "\u4e2d\u6587")
c.publish("kaiwu/paho/data", b"\x00\x01\x02\xff", qos=2, properties=pp)
run(c, 0.3)
up = Properties(PacketTypes.UNSUBSCRIBE); up.UserProperty = ("why", "done")
c.unsubscribe(["kaiwu/paho/#", "kaiwu/nothere"], properties=up)
run(c, 0.3)
dp = Properties(PacketTypes.DISCONNECT)
dp.SessionExpiryInterval = 0; dp.ReasonString = "bye"; dp.UserProperty = ("k", "v")
c.disconnect(reasoncode=ReasonCodes(PacketTypes.DISCONNECT, "Disconnect with will message"), properties=dp)
run(c, 0.3)

# 3. MQTT 3.1.1: subscribe, ping, unsubscribe, disconnect
lab("paho311_session")
c = mqtt.Client(client_id="paho311", protocol=mqtt.MQTTv311, clean_session=True)
c.connect("127.0.0.1", P, 1)
run(c, 0.2)
c.subscribe([("kaiwu/a", 0), ("kaiwu/+/b", 1), ("kaiwu/#", 2)])
run(c, 2.5)   # keep alive 1 s -> PINGREQ / PINGRESP
c.unsubscribe(["kaiwu/a", "kaiwu/#"])
run(c, 0.3)
c.disconnect()
run(c, 0.2)

# 4. MQTT 5: No Local on a shared subscription is a Protocol Error -> server DISCONNECT 0x82
lab("paho5_shared_nolocal")
c = mqtt.Client(client_id="paho5s", protocol=mqtt.MQTTv5)
c.connect("127.0.0.1", P, 30)
run(c, 0.3)
c.subscribe("$share/grp/kaiwu/+", options=SubscribeOptions(qos=0, noLocal=True))
run(c, 0.5)

# 5. MQTT 5 ping
lab("paho5_ping")
c = mqtt.Client(client_id="paho5p", protocol=mqtt.MQTTv5)
c.connect("127.0.0.1", P, 1)
run(c, 2.5)
c.disconnect()
run(c, 0.2)
