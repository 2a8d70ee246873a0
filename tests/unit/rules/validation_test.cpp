// Chain validation: every problem is reported, naming the node and the field.
#include <gtest/gtest.h>

#include "rules/chain.hpp"

namespace kaiwu::rules {
namespace {

bool has(const std::vector<std::string>& errors, std::string_view needle) {
  for (const auto& e : errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

std::string dump(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

TEST(ChainValidation, ValidChainCompiles) {
  auto c = compile_chain(R"({"root":"f","nodes":[
    {"id":"f","type":"filter","params":{"keys":["temp"]},"next":{"True":["t"]}},
    {"id":"t","type":"threshold","params":{"key":"temp","high":80},"next":{"Raised":["a"],"Cleared":"c"}},
    {"id":"a","type":"create_alarm","params":{"alarmType":"HighTemp","severity":"major"}},
    {"id":"c","type":"clear_alarm","params":{"alarmType":"HighTemp"}}]})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->nodes().size(), 4u);
  EXPECT_EQ((*c)->root(), 0u);
}

TEST(ChainValidation, MalformedDocuments) {
  EXPECT_FALSE(compile_chain("not json"));
  EXPECT_NE(compile_chain("[]").error().message.find("JSON object"), std::string::npos);
  EXPECT_NE(compile_chain(R"({"nodes":[]})").error().message.find("non-empty"), std::string::npos);
}

TEST(ChainValidation, ReportsEveryProblem) {
  auto errors = validate_chain(R"({"extra":1,"nodes":[
    {"id":"a","type":"nope","next":{"True":["b"]}},
    {"id":"b","type":"threshold","params":{"key":"temp","high":"80","bogus":1}},
    {"id":"c","type":"filter","params":{"keys":["x"]},"next":{"True":["ghost"],"Maybe":["b"]}},
    {"id":"c","type":"log"},
    {"id":"bad id!","type":"log"},
    {"id":"s","type":"script_filter","params":{"script":"local x = 1\nif x then\nreturn true"}}]})");
  EXPECT_TRUE(has(errors, "unknown field \"extra\"")) << dump(errors);
  EXPECT_TRUE(has(errors, "node \"a\": unknown type \"nope\"")) << dump(errors);
  EXPECT_TRUE(has(errors, "node \"b\": params.bogus: unknown parameter")) << dump(errors);
  EXPECT_TRUE(has(errors, "node \"c\": next.True refers to unknown node \"ghost\"")) << dump(errors);
  EXPECT_TRUE(has(errors, "node \"c\": a filter node has no relation \"Maybe\" (it has True, False)")) << dump(errors);
  EXPECT_TRUE(has(errors, "duplicate node id \"c\"")) << dump(errors);
  EXPECT_TRUE(has(errors, "nodes[4].id: must be")) << dump(errors);
  EXPECT_TRUE(has(errors, "node \"s\": params.script: line 3:")) << dump(errors);
}

TEST(ChainValidation, BadParameters) {
  auto e = validate_chain(R"({"nodes":[{"id":"t","type":"threshold","params":{"key":"temp","high":"x"}}]})");
  EXPECT_TRUE(has(e, "params.high: must be a number")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"t","type":"threshold","params":{"high":1}}]})");
  EXPECT_TRUE(has(e, "params.key: is required")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"a","type":"create_alarm","params":{"alarmType":"X","severity":"huge"}}]})");
  EXPECT_TRUE(has(e, "params.severity: must be critical, major, minor or warning")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"w","type":"webhook","params":{"url":"ftp://x"}}]})");
  EXPECT_TRUE(has(e, "params.url: must be an http:// URL")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"m","type":"mqtt_publish","params":{"topic":"a/#"}}]})");
  EXPECT_TRUE(has(e, "params.topic")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"o","type":"offline","params":{"timeoutMs":5}}]})");
  EXPECT_TRUE(has(e, "params.timeoutMs: must be an integer from 1000")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"f","type":"filter","params":{}}]})");
  EXPECT_TRUE(has(e, "give at least one of")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"r","type":"rpc","params":{"method":"x","timeoutMs":1}}]})");
  EXPECT_TRUE(has(e, "params.timeoutMs")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"x","type":"enrich_attributes","params":{}}]})");
  EXPECT_TRUE(has(e, "give client, shared or server keys")) << dump(e);
}

TEST(ChainValidation, CyclesAndReachability) {
  auto e = validate_chain(R"({"nodes":[
    {"id":"a","type":"log","next":{"Success":["b"]}},
    {"id":"b","type":"log","next":{"Success":["c"]}},
    {"id":"c","type":"log","next":{"Success":["a"]}}]})");
  EXPECT_TRUE(has(e, "cycle: a → b → c → a")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"a","type":"log","next":{"Success":["a"]}}]})");
  EXPECT_TRUE(has(e, "cycle: a → a")) << dump(e);
  e = validate_chain(R"({"nodes":[{"id":"a","type":"log"},{"id":"b","type":"log"}]})");
  EXPECT_TRUE(has(e, "node \"b\" is not reachable from the root")) << dump(e);
  e = validate_chain(R"({"root":"zz","nodes":[{"id":"a","type":"log"}]})");
  EXPECT_TRUE(has(e, "root must name a node")) << dump(e);
  // A diamond is a DAG, not a cycle.
  EXPECT_TRUE(validate_chain(R"({"nodes":[
    {"id":"a","type":"log","next":{"Success":["b","c"]}},
    {"id":"b","type":"log","next":{"Success":["d"]}},
    {"id":"c","type":"log","next":{"Success":["d"]}},
    {"id":"d","type":"log"}]})").empty());
}

}  // namespace
}  // namespace kaiwu::rules
