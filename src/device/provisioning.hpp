// Device provisioning (ThingsBoard protocol): a device that knows its profile's provision key
// and secret, but has no credentials yet, asks for an access token —
//   MQTT: CONNECT with username "provision", PUBLISH /provision/request, answer on
//         /provision/response (visible only to that connection);
//   HTTP: POST /api/v1/provision.
// Request:  {"deviceName","provisionDeviceKey","provisionDeviceSecret"[,"credentialsType":
//            "ACCESS_TOKEN","token"][,"category"]}
// Response: {"status":"SUCCESS","credentialsType":"ACCESS_TOKEN","credentialsValue":token} or
//           {"status":"NOT_FOUND"|"FAILURE","errorMsg":…}. A wrong key and a wrong secret both
//           answer NOT_FOUND, so the answer does not tell which one was wrong.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "meta/store.hpp"

namespace kaiwu::device {

// Blocking (the metadata store): call from a worker thread. kInvalidArgument only when the
// request is not a JSON object; every other outcome is a response body as above.
// `protocol` ("mqtt", "http") becomes the protocol of a device created here.
Result<std::string> provision_device(meta::MetadataStore& store, std::string_view request_json,
                                     std::string_view protocol);

}  // namespace kaiwu::device
