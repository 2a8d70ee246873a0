#include "model/entities.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace kaiwu::model {
namespace {

TEST(Roles, NamesInOrderOfPower) {
  const std::vector<Role> expected = {Role::kPlatformAdmin,   Role::kTenantAdmin, Role::kParkAdmin,
                                      Role::kEnterpriseAdmin, Role::kEngineer,    Role::kViewer,
                                      Role::kDeveloper};
  EXPECT_EQ(all_roles(), expected);
  EXPECT_EQ(role_name(Role::kPlatformAdmin), "platform-admin");
  EXPECT_EQ(role_name(Role::kTenantAdmin), "tenant-admin");
  EXPECT_EQ(role_name(Role::kParkAdmin), "park-admin");
  EXPECT_EQ(role_name(Role::kEnterpriseAdmin), "enterprise-admin");
  EXPECT_EQ(role_name(Role::kEngineer), "engineer");
  EXPECT_EQ(role_name(Role::kViewer), "viewer");
  EXPECT_EQ(role_name(Role::kDeveloper), "developer");
}

TEST(Roles, ParseRoundTrips) {
  std::set<std::string_view> names;
  for (Role r : all_roles()) {
    names.insert(role_name(r));
    EXPECT_EQ(parse_role(role_name(r)), r) << role_name(r);
  }
  EXPECT_EQ(names.size(), all_roles().size());
}

TEST(Roles, ParseRejectsUnknownSpellings) {
  for (const char* s : {"", "admin", "Platform-Admin", "platform_admin", "viewer ", " viewer",
                        "VIEWER", "platform-admin\n"})
    EXPECT_EQ(parse_role(s), std::nullopt) << s;
}

TEST(Roles, UnknownValueFallsBackToViewer) {
  EXPECT_EQ(role_name(static_cast<Role>(200)), "viewer");  // least privilege
}

TEST(Categories, NamesAndChineseLabels) {
  EXPECT_EQ(category_name(Category::kRunning), "running");
  EXPECT_EQ(category_name(Category::kProcessing), "processing");
  EXPECT_EQ(category_name(Category::kMobile), "mobile");
  EXPECT_EQ(category_name(Category::kOther), "other");
  EXPECT_EQ(category_label_zh(Category::kRunning), "运行设备");
  EXPECT_EQ(category_label_zh(Category::kProcessing), "加工设备");
  EXPECT_EQ(category_label_zh(Category::kMobile), "行走设备");
  EXPECT_EQ(category_label_zh(Category::kOther), "其它");
}

TEST(Categories, ParseRoundTrips) {
  for (Category c :
       {Category::kRunning, Category::kProcessing, Category::kMobile, Category::kOther})
    EXPECT_EQ(parse_category(category_name(c)), c);
  for (const char* s : {"", "Running", "运行设备", "walking", "others"})
    EXPECT_EQ(parse_category(s), std::nullopt) << s;
}

TEST(Industries, TwentyTwoDistinctEntriesAsOnTheForm) {
  const auto& list = industries();
  EXPECT_EQ(list.size(), 22u);
  EXPECT_EQ(std::set<std::string>(list.begin(), list.end()).size(), list.size());
  EXPECT_EQ(list.front(), "煤炭/黑色金属矿开采/石油天然气开采");
  EXPECT_EQ(list.back(), "服务业");
  for (const auto& s : list) {
    EXPECT_FALSE(s.empty());
    EXPECT_TRUE(is_industry(s)) << s;
  }
}

TEST(Industries, MatchExactly) {
  EXPECT_TRUE(is_industry("石化化工"));
  EXPECT_TRUE(is_industry("航空/航天"));
  EXPECT_TRUE(is_industry("热力和燃气"));
  for (const char* s : {"", "石化", "石化化工 ", " 建材", "航空", "航天", "chemicals", "其它"})
    EXPECT_FALSE(is_industry(s)) << s;
}

TEST(ParkLevels, FourLevels) {
  for (const char* s : {"national", "provincial", "municipal", "other"})
    EXPECT_TRUE(is_park_level(s)) << s;
  for (const char* s : {"", "National", "county", "国家级", "other "})
    EXPECT_FALSE(is_park_level(s)) << s;
}

TEST(Protocols, ListedProtocolsAreRecognised) {
  const auto& list = protocols();
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(std::set<std::string>(list.begin(), list.end()).size(), list.size());
  for (const auto& p : list) EXPECT_TRUE(is_protocol(p)) << p;
  EXPECT_TRUE(is_protocol("mqtt"));
  EXPECT_TRUE(is_protocol("modbus-tcp"));
  EXPECT_FALSE(is_protocol(""));
  EXPECT_FALSE(is_protocol("MQTT"));
  EXPECT_FALSE(is_protocol("carrier-pigeon"));
}

// 统一社会信用代码 of real organisations; each check character was recomputed with the
// GB 32100-2015 algorithm, not copied on trust.
const char* const kRealCodes[] = {
    "91350100M000100Y43",  // registered in 福州市 (region 350100), letter in the body
    "91110000600037341L",  // registered in 北京市 (region 110000)
    "914403001922038216",  // 华为技术有限公司
    "91440300708461136T",  // 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  // 阿里巴巴(中国)有限公司
    "91110000710925462X",  // 中国石油天然气股份有限公司
    "91110108558521630L",  // 小米通讯技术有限公司
    "91110000802100433B",  // 百度在线网络技术(北京)有限公司
};

TEST(CreditCode, RealCodesAreValid) {
  for (const char* code : kRealCodes) {
    std::string_view c(code);
    EXPECT_EQ(credit_code_check_char(c.substr(0, 17)), c[17]) << code;
    auto st = validate_credit_code(c);
    EXPECT_TRUE(st) << code << ": " << st.error().message;
  }
}

TEST(CreditCode, CheckCharacterByHand) {
  // 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4 has values 9 1 3 5 0 1 0 0 21 0 0 0 1 0 0 30 4; with the
  // weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28 the sum is 1640 = 31·52 + 28,
  // so the check value is 31 − 28 = 3 → '3'.
  EXPECT_EQ(credit_code_check_char("91350100M000100Y4"), '3');
  // Sum 746 = 31·24 + 2, check value 29 → 'X' (a letter check character).
  EXPECT_EQ(credit_code_check_char("91110000710925462"), 'X');
  // Extra characters after the first 17 are ignored.
  EXPECT_EQ(credit_code_check_char("91110000710925462X"), 'X');
}

TEST(CreditCode, CheckCharHandlesBadInput) {
  EXPECT_EQ(credit_code_check_char(""), std::nullopt);
  EXPECT_EQ(credit_code_check_char("9135010"), std::nullopt);
  EXPECT_EQ(credit_code_check_char("9135010000000000"), std::nullopt);  // 16 characters
  EXPECT_EQ(credit_code_check_char("91350100M000100I4"), std::nullopt);
  EXPECT_EQ(credit_code_check_char("91350100m000100y4"), std::nullopt);
}

TEST(CreditCode, WrongLength) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "creditCode: must be 18 characters, got 0"},
      {"91350100M000100Y4", "creditCode: must be 18 characters, got 17"},
      {"91350100M000100Y433", "creditCode: must be 18 characters, got 19"},
      {" 91350100M000100Y43", "creditCode: must be 18 characters, got 19"},
  };
  for (const auto& [code, message] : cases) {
    auto st = validate_credit_code(code);
    ASSERT_FALSE(st) << code;
    EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(st.error().message, message);
  }
}

TEST(CreditCode, ForbiddenCharacters) {
  std::string valid = "91350100M000100Y43";
  for (char bad : {'I', 'O', 'S', 'V', 'Z', 'm', 'a', '-', ' ', '*'}) {
    std::string code = valid;
    code[9] = bad;
    auto st = validate_credit_code(code);
    ASSERT_FALSE(st) << code;
    EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(st.error().message, std::string("creditCode: character 10 ('") + bad +
                                      "') is not allowed (digits and uppercase letters "
                                      "except I, O, S, V, Z)");
  }
}

TEST(CreditCode, LowercaseIsRejected) {
  auto st = validate_credit_code("91350100m000100y43");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("character 9 ('m')"), std::string::npos) << st.error().message;
}

TEST(CreditCode, NonAsciiIsNamedWithoutSplittingIt) {
  std::string code = "91350100M000100Y4";
  code.replace(0, 1, "\xef\xbc\x99");  // full-width ９
  code.resize(18);
  auto st = validate_credit_code(code);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message,
            "creditCode: character 1 (not ASCII) is not allowed (digits and uppercase letters "
            "except I, O, S, V, Z)");
}

TEST(CreditCode, RegionCodeMustBeDigits) {
  auto st = validate_credit_code("9135A100M000100Y43");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "creditCode: characters 3-8 must be the digits of a region code");
}

TEST(CreditCode, WrongCheckCharacterNamesTheExpectedOne) {
  auto st = validate_credit_code("91350100M000100Y44");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(st.error().message, "creditCode: check character is '4', expected '3'");

  st = validate_credit_code("91110000710925462Y");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "creditCode: check character is 'Y', expected 'X'");
}

TEST(CreditCode, AnySingleCharacterChangeIsCaught) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  for (const char* real : kRealCodes) {
    for (std::size_t pos = 0; pos < 18; ++pos) {
      if (pos >= 2 && pos < 8) continue;  // region digits: covered by the digit rule
      for (char c : kAlphabet) {
        std::string code = real;
        if (code[pos] == c) continue;
        code[pos] = c;
        EXPECT_FALSE(validate_credit_code(code)) << code;
      }
    }
  }
}

// Codes built from random prefixes validate with their own check character and with no other.
TEST(CreditCode, GeneratedCodesValidateOnlyWithTheirCheckCharacter) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  std::mt19937 rng(32100);
  std::uniform_int_distribution<std::size_t> any(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> digit(0, 9);
  std::set<char> checks;
  for (int n = 0; n < 2000; ++n) {
    std::string prefix;
    for (int i = 0; i < 17; ++i)
      prefix += (i >= 2 && i < 8) ? static_cast<char>('0' + digit(rng)) : kAlphabet[any(rng)];
    auto check = credit_code_check_char(prefix);
    ASSERT_TRUE(check.has_value()) << prefix;
    checks.insert(*check);
    EXPECT_TRUE(validate_credit_code(prefix + *check)) << prefix + *check;
    char wrong = kAlphabet[(kAlphabet.find(*check) + 1 + any(rng) % 30) % kAlphabet.size()];
    auto st = validate_credit_code(prefix + wrong);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message, std::string("creditCode: check character is '") + wrong +
                                      "', expected '" + *check + "'");
  }
  EXPECT_EQ(checks.size(), kAlphabet.size());  // every check character, including '0', occurs
}

}  // namespace
}  // namespace kaiwu::model
