#!/bin/sh
# mosquitto_pub / mosquitto_sub scenarios through proxy.py (see README.md). Each `lab` call
# names the frames that follow in frames.jsonl.
set -x
P=18842
lab() { /usr/bin/python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',18843)); s.sendall(sys.argv[1].encode()); s.recv(10)" "$1"; sleep 0.2; }
lab pub311_qos1
mosquitto_pub -p $P -V 311 -i pub311 -q 1 -t kaiwu/site1/temp -m '21.5' -u alice -P s3cret --will-topic kaiwu/will --will-payload gone --will-qos 1 --will-retain
lab pub311_qos2_retain
mosquitto_pub -p $P -V 311 -i pub311b -q 2 -r -t kaiwu/retained -m 'r1' -k 30
lab pub311_qos0
mosquitto_pub -p $P -V 311 -q 0 -t kaiwu/q0 -m 'zero' -i q0pub -c
lab pub5_qos1_props
mosquitto_pub -p $P -V 5 -i pub5 -q 1 -t kaiwu/site1/hum -m '{"h":40}' -D connect session-expiry-interval 120 -D connect receive-maximum 20 -D connect maximum-packet-size 65536 -D connect topic-alias-maximum 5 -D connect request-problem-information 1 -D connect request-response-information 1 -D connect user-property ck cv -D publish content-type application/json -D publish payload-format-indicator 1 -D publish message-expiry-interval 300 -D publish response-topic kaiwu/resp -D publish correlation-data abc123 -D publish user-property unit pct -D publish user-property unit2 x -D publish topic-alias 3
lab pub5_qos2_will
mosquitto_pub -p $P -V 5 -i pub5b -q 2 -t kaiwu/q2 -m 'two' -u bob -P pw --will-topic kaiwu/will5 --will-payload bye --will-qos 2 -D will will-delay-interval 10 -D will content-type text/plain -D will user-property wk wv -D will payload-format-indicator 1 -D will message-expiry-interval 100 -D will response-topic kaiwu/wr -D will correlation-data cd
lab pub5_qos0
mosquitto_pub -p $P -V 5 -q 0 -t kaiwu/q0 -m '' -i q0pub5
lab sub311
mosquitto_sub -p $P -V 311 -i sub311 -q 1 -t 'kaiwu/+/temp' -t 'kaiwu/#' -t 'kaiwu/retained' -C 1 -k 5
lab sub5
mosquitto_sub -p $P -V 5 -i sub5 -q 2 -t 'kaiwu/retained' -t '$share/g1/kaiwu/+' -D subscribe subscription-identifier 42 -D subscribe user-property sk sv -C 1

# Hand-written MQTT 3.1 CONNECT ("MQIsdp", level 3): the codec must refuse it with 0x84.
lab unsupported_level3
printf '\020\025\000\006MQIsdp\003\002\000\074\000\007mqtt3xx' | timeout 2 /usr/bin/python3 -c "
import socket,sys; s=socket.create_connection(('127.0.0.1',$P)); s.sendall(sys.stdin.buffer.read()); print(s.recv(100).hex())"

# Second broker with limits (mosq2.conf), through a second proxy on 18845 (labels on 18846).
lab2() { /usr/bin/python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',18846)); s.sendall(sys.argv[1].encode()); s.recv(10)" "$1"; sleep 0.2; }
lab2 limits_too_large
mosquitto_pub -p 18845 -V 5 -i big -q 1 -t kaiwu/big -m "$(head -c 200 /dev/zero | tr '\0' x)"
lab2 limits_qos2
mosquitto_pub -p 18845 -V 5 -i q2 -q 2 -t kaiwu/q2 -m x
lab2 limits_retain
mosquitto_pub -p 18845 -V 5 -i rt -q 1 -r -t kaiwu/r -m x
lab2 limits_sub
timeout 2 mosquitto_sub -p 18845 -V 5 -i s2 -q 2 -t 'kaiwu/#' -W 1
