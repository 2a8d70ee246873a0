#include "report/declaration.hpp"

#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <map>

namespace kaiwu::report {
namespace json = boost::json;
namespace fs = std::filesystem;
using docx::Run;

namespace {

// The 2022 notice's annex 1: 21 indicators in 5 dimensions (MIIT-INDICATORS.md). The form's
// section 二 follows the same order; `documentary` lists what the platform cannot know and the
// operator fills in (marked blanks).
struct IndicatorSpec {
  std::string_view id;
  std::string_view name;
  std::vector<std::string_view> documentary;
};
struct DimensionSpec {
  std::string_view numeral;  // （二）…
  std::string_view name;
  std::vector<IndicatorSpec> indicators;
};

const std::vector<DimensionSpec>& dimensions() {
  static const std::vector<DimensionSpec> kDims{
      {"（二）", "平台资源管理水平",
       {{"1.1", "工业设备数量", {}},
        {"1.2", "工业模型数量", {}},
        {"1.3", "工业APP数量", {}},
        {"1.4", "服务工业企业数量", {}},
        {"1.5", "平台开发者数量", {}}}},
      {"（三）", "平台核心技术水平",
       {{"2.1", "技术创新能力", {"5G、大数据、人工智能、数字孪生、区块链等新一代信息技术融合应用情况"}},
        {"2.2", "可靠性和安全防护", {"通过的第三方安全认证或测评（名称、机构、时间）", "平台可靠性指标（年度可用率等）的第三方证明"}},
        {"2.3", "自研杀手锏APP", {"杀手锏APP在公有云上的部署与跨平台调用证明材料"}}}},
      {"（四）", "平台赋能成效",
       {{"3.1", "解决方案供给", {"有效解决方案的典型应用案例说明"}},
        {"3.2", "赋能园区", {"国家级、省级示范园区名称及服务合同"}},
        {"3.3", "赋能行业和领域", {"入选部级、省级案例名称", "赋能规模和收入排名前三的行业与领域"}},
        {"3.4", "中小企业服务", {}},
        {"3.5", "国际业务", {"国际业务模式与海外服务情况"}}}},
      {"（五）", "平台社会贡献度",
       {{"4.1", "稳增长", {"支撑地方稳增长的工作情况"}},
        {"4.2", "双链、双碳", {"支撑产业链供应链协同与节能降碳的成效（附数据）"}},
        {"4.3", "经济运行分析", {"为政府部门提供经济运行分析服务的情况"}},
        {"4.4", "部重点工作", {"承担或参与部重点工作情况"}},
        {"4.5", "标准制定", {"牵头或参与制定的国家、行业标准（名称、编号、角色）"}}}},
      {"（六）", "平台可持续发展能力",
       {{"5.1", "盈利和融资", {"平台上一年度营业收入（万元）", "平台上一年度利润（万元）"}},
        {"5.2", "资源调配", {"平台建设运营的资金、人员等资源投入情况"}},
        {"5.3", "生态运营", {"合作伙伴与解决方案服务商数量（家）", "开发者培训与课程情况"}}}},
  };
  return kDims;
}

std::string number_text(double v) {
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<std::int64_t>(v));
  return fmt::format("{:.2f}", v);
}

std::string scalar_text(const json::value& v) {
  if (v.is_int64()) return fmt::format("{}", v.get_int64());
  if (v.is_uint64()) return fmt::format("{}", v.get_uint64());
  if (v.is_double()) return number_text(v.get_double());
  if (v.is_bool()) return v.get_bool() ? "是" : "否";
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

std::string str_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Column headers of known row fields (killerApps.top5 and the like); others stay as they are.
std::string column_name(std::string_view key) {
  static const std::map<std::string_view, std::string_view> kNames{
      {"appId", "APP标识"},          {"nameZh", "名称"},           {"nameEn", "英文名称"},
      {"domain", "领域"},            {"subscribers", "订阅企业数"}, {"dailyCalls", "日调用次数"},
      {"monthlyRevenueMinor", "月收入（元）"}, {"crossPlatformInvocation", "支持跨平台调用"},
      {"id", "标识"},                {"name", "名称"},             {"count", "数量"},
  };
  auto it = kNames.find(key);
  return it == kNames.end() ? std::string(key) : std::string(it->second);
}

// Minor currency units (fen) are shown in 元.
std::string cell_text(std::string_view key, const json::value& v) {
  if (key.ends_with("Minor") && v.is_number()) return fmt::format("{:.2f}", v.to_number<double>() / 100.0);
  return scalar_text(v);
}

docx::Table rows_table(const json::array& rows) {
  docx::Table t;
  std::vector<std::string> keys;
  for (const auto& r : rows) {
    if (!r.is_object()) continue;
    for (const auto& [k, v] : r.get_object())
      if (std::find(keys.begin(), keys.end(), std::string(k)) == keys.end()) keys.emplace_back(k);
  }
  t.header.push_back("序号");
  for (const auto& k : keys) t.header.push_back(column_name(k));
  int n = 0;
  for (const auto& r : rows) {
    if (!r.is_object()) continue;
    std::vector<std::vector<Run>> row{{Run{std::to_string(++n)}}};
    for (const auto& k : keys) {
      const auto* v = r.get_object().if_contains(k);
      row.push_back({Run{v ? cell_text(k, *v) : ""}});
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

const json::object* find_indicator(const json::object& indicators, std::string_view id) {
  const auto* list = indicators.if_contains("indicators");
  if (!list || !list->is_array()) return nullptr;
  for (const auto& i : list->get_array())
    if (i.is_object() && str_of(i.get_object(), "id") == id) return &i.get_object();
  return nullptr;
}

struct Blanks {
  std::vector<std::vector<Run>> items;  // every blank, for the list at the end
  Run mark(std::string what) {
    items.push_back({Run{what}});
    return Run{std::move(what), true};
  }
};

void indicator_section(docx::Document& doc, const json::object& all, const IndicatorSpec& spec, int n,
                       Blanks& blanks) {
  doc.heading(3, fmt::format("{}. {}", n, spec.name));
  docx::Table figures{{"指标项", "数值", "统计口径"}, {}, {28, 27, 45}};
  std::vector<std::pair<std::string, json::array>> row_tables;
  if (const auto* ind = find_indicator(all, spec.id); ind) {
    const auto* fs = ind->if_contains("figures");
    for (const auto& f : fs && fs->is_array() ? fs->get_array() : json::array{}) {
      if (!f.is_object()) continue;
      const auto& fo = f.get_object();
      const auto name = str_of(fo, "nameZh");
      const auto* value = fo.if_contains("value");
      if (value && value->is_array()) {
        row_tables.emplace_back(name, value->get_array());
        figures.rows.push_back({{Run{name}}, {Run{fmt::format("见下表（{}项）", value->get_array().size())}},
                                {Run{str_of(fo, "definitionZh")}}});
        continue;
      }
      std::string unit = str_of(fo, "unit");
      json::object shown = fo;
      if (unit == "分" && value && value->is_number()) {  // minor units read as 元 in a form
        shown["value"] = value->to_number<double>() / 100.0;
        unit = "元";
      }
      std::vector<Run> cell;
      if (!value || value->is_null()) {
        cell.push_back(blanks.mark(unit.empty() ? name : fmt::format("{}（{}）", name, unit)));
      } else {
        const auto text = figure_text(shown);
        cell.push_back(Run{value->is_object() || unit.empty() ? text : fmt::format("{} {}", text, unit)});
      }
      figures.rows.push_back({{Run{name}}, std::move(cell), {Run{str_of(fo, "definitionZh")}}});
    }
  }
  for (auto what : spec.documentary)
    figures.rows.push_back({{Run{std::string(what)}}, {blanks.mark(std::string(what))}, {Run{"申报单位填写（平台数据无法给出）"}}});
  if (figures.rows.empty()) {
    doc.paragraph({blanks.mark(fmt::format("{}情况说明", spec.name))});
    return;
  }
  doc.add(std::move(figures));
  for (auto& [name, rows] : row_tables) {
    doc.paragraph({Run{fmt::format("{}：", name)}});
    if (rows.empty()) {
      doc.text("（平台暂无符合口径的数据）");
    } else {
      doc.add(rows_table(rows));
    }
  }
}

std::string utc_time(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min);
}

void basic_info(docx::Document& doc, const DeclarationInput& in, Blanks& blanks) {
  doc.heading(2, "（一）平台基本信息");
  const auto as_of = str_of(in.indicators, "asOf");
  docx::Table t{{"项目", "内容"}, {}, {30, 70}};
  t.rows.push_back({{Run{"平台名称"}}, {Run{in.platform_name}}});
  t.rows.push_back({{Run{"申报单位"}}, {blanks.mark("申报单位全称")}});
  t.rows.push_back({{Run{"统一社会信用代码"}}, {blanks.mark("申报单位统一社会信用代码")}});
  t.rows.push_back({{Run{"平台软件版本"}}, {Run{in.platform_version.empty() ? "-" : "Kaiwu " + in.platform_version}}});
  t.rows.push_back({{Run{"平台上线时间"}}, {blanks.mark("平台正式上线运营时间")}});
  t.rows.push_back({{Run{"数据截止日期"}}, {Run{as_of}}});
  t.rows.push_back({{Run{"月度指标统计月份"}}, {Run{str_of(in.indicators, "month")}}});
  t.rows.push_back({{Run{"本部分生成时间"}}, {Run{utc_time(in.generated_ms)}}});
  doc.add(std::move(t));
  doc.text(fmt::format(
      "本部分的客观指标由平台截至{}的运行数据自动统计生成，每项指标的统计口径与查询语句见附件6；"
      "平台数据无法给出的内容以“【待填写：…】”标出，由申报单位据实填写。",
      as_of));
}

}  // namespace

std::string figure_text(const json::object& figure) {
  const auto* value = figure.if_contains("value");
  if (!value || value->is_null() || value->is_array()) return {};
  if (!value->is_object()) return scalar_text(*value);
  const auto* labels = figure.if_contains("labels");
  std::string out;
  for (const auto& [k, v] : value->get_object()) {
    std::string label(k);
    if (labels && labels->is_object()) {
      if (const auto* l = labels->get_object().if_contains(k); l && l->is_object()) {
        if (auto zh = str_of(l->get_object(), "zh"); !zh.empty()) label = zh;
      }
    }
    if (!out.empty()) out += "；";
    out += label + " " + scalar_text(v);
  }
  return out.empty() ? "0" : out;
}

docx::Document build_section_two(const DeclarationInput& in) {
  docx::Document doc;
  doc.title = fmt::format("{}年跨行业跨领域工业互联网平台申报书（二、平台基本情况与能力指标）", in.year);
  doc.add(docx::Paragraph{docx::ParaStyle::kTitle, {Run{fmt::format("{}年跨行业跨领域工业互联网平台申报书", in.year)}}, true});
  doc.add(docx::Paragraph{docx::ParaStyle::kSubtitle, {Run{"二、平台基本情况与能力指标"}}, true});
  doc.add(docx::Paragraph{docx::ParaStyle::kSubtitle, {Run{in.platform_name}}, true});
  doc.add(docx::Toc{});
  doc.add(docx::PageBreak{});

  Blanks blanks;
  doc.heading(1, "二、平台基本情况与能力指标");
  basic_info(doc, in, blanks);
  for (const auto& dim : dimensions()) {
    doc.heading(2, fmt::format("{}{}", dim.numeral, dim.name));
    int n = 0;
    for (const auto& spec : dim.indicators) indicator_section(doc, in.indicators, spec, ++n, blanks);
  }
  doc.heading(2, "（七）佐证材料");
  docx::Table annexes{{"附件", "文件", "说明"}, {}, {25, 45, 30}};
  for (const auto& a : in.annexes) {
    std::size_t rows = 0;
    for (const auto& s : a.sheets) rows += s.rows.size();
    annexes.rows.push_back({{Run{a.title}}, {Run{a.file_name}}, {Run{fmt::format("{}条记录", rows)}}});
  }
  annexes.rows.push_back({{Run{"财务报表"}}, {blanks.mark("上一年度经审计的财务报表")}, {Run{"申报单位提供"}}});
  doc.add(std::move(annexes));
  doc.heading(2, "（八）待填写事项");
  doc.text(fmt::format("以下{}项内容平台数据无法给出，已在文中以“【待填写：…】”标出：", blanks.items.size()));
  doc.add(docx::NumberedList{std::move(blanks.items)});
  return doc;
}

Status write_xlsx(const fs::path& path, const std::vector<AnnexSheet>& sheets) {
  auto tmp = path;
  tmp += ".tmp";
  lxw_workbook* wb = workbook_new(tmp.c_str());
  if (!wb) return fail(Errc::kIo, path.string() + ": cannot create the workbook");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  format_set_bg_color(bold, 0xD9D9D9);
  format_set_border(bold, LXW_BORDER_THIN);
  for (const auto& s : sheets) {
    lxw_worksheet* ws = workbook_add_worksheet(wb, s.name.c_str());
    if (!ws) continue;
    std::vector<double> widths(s.columns.size(), 8);
    auto fit = [&](std::size_t c, std::string_view text) {
      double w = 0;
      for (std::size_t i = 0; i < text.size();) {
        const auto ch = static_cast<unsigned char>(text[i]);
        const std::size_t n = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
        w += n >= 3 ? 2 : 1;
        i += n;
      }
      if (c < widths.size()) widths[c] = std::clamp(std::max(widths[c], w + 2), 8.0, 60.0);
    };
    for (std::size_t c = 0; c < s.columns.size(); ++c) {
      worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), s.columns[c].c_str(), bold);
      fit(c, s.columns[c]);
    }
    for (std::size_t r = 0; r < s.rows.size(); ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (std::size_t c = 0; c < s.rows[r].size() && c < s.columns.size(); ++c) {
        const auto& v = s.rows[r][c];
        const auto col = static_cast<lxw_col_t>(c);
        if (v.is_number()) {
          worksheet_write_number(ws, row, col, v.to_number<double>(), nullptr);
        } else if (v.is_bool()) {
          worksheet_write_boolean(ws, row, col, v.get_bool(), nullptr);
        } else if (!v.is_null()) {
          const auto text = scalar_text(v).substr(0, 32'767);  // Excel's cell limit
          worksheet_write_string(ws, row, col, text.c_str(), nullptr);
          fit(c, text);
        }
      }
    }
    for (std::size_t c = 0; c < widths.size(); ++c)
      worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), widths[c], nullptr);
    worksheet_freeze_panes(ws, 1, 0);
    if (!s.columns.empty() && !s.rows.empty())
      worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(s.rows.size()), static_cast<lxw_col_t>(s.columns.size() - 1));
  }
  if (const auto err = workbook_close(wb); err != LXW_NO_ERROR)
    return fail(Errc::kIo, fmt::format("{}: {}", path.string(), lxw_strerror(err)));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return fail(Errc::kIo, fmt::format("{}: {}", path.string(), ec.message()));
  return ok();
}

namespace {

// 附件6: every figure with its definition, query and source, so each number can be checked.
Annex definitions_annex(const json::object& indicators) {
  AnnexSheet s{"指标口径", {"指标编号", "指标名称", "指标项标识", "指标项", "数值", "单位", "统计口径", "查询或方法", "来源"}, {}};
  const auto* list = indicators.if_contains("indicators");
  for (const auto& i : list && list->is_array() ? list->get_array() : json::array{}) {
    if (!i.is_object()) continue;
    const auto* fs = i.get_object().if_contains("figures");
    for (const auto& f : fs && fs->is_array() ? fs->get_array() : json::array{}) {
      if (!f.is_object()) continue;
      const auto& fo = f.get_object();
      const auto* value = fo.if_contains("value");
      std::string text = value && value->is_array() ? json::serialize(*value) : figure_text(fo);
      s.rows.push_back({json::value(str_of(i.get_object(), "id")), json::value(str_of(i.get_object(), "nameZh")),
                        json::value(str_of(fo, "id")), json::value(str_of(fo, "nameZh")),
                        text.empty() ? json::value("【待填写】") : json::value(text), json::value(str_of(fo, "unit")),
                        json::value(str_of(fo, "definitionZh")), json::value(str_of(fo, "query")),
                        json::value(str_of(fo, "source"))});
    }
  }
  return Annex{"附件6-指标口径与查询.xlsx", "附件6 指标口径与查询", {std::move(s)}};
}

}  // namespace

Result<std::vector<DeclarationFile>> write_declaration(const DeclarationInput& in, const fs::path& dir) {
  if (!in.indicators.contains("indicators")) return fail(Errc::kInvalidArgument, "indicators: missing \"indicators\"");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::kIo, fmt::format("{}: {}", dir.string(), ec.message()));
  std::vector<Annex> annexes = in.annexes;
  annexes.push_back(definitions_annex(in.indicators));
  DeclarationInput with_all = in;
  with_all.annexes = annexes;
  std::vector<DeclarationFile> files;
  const auto docx_path = dir / std::string(kDocxName);
  KAIWU_TRY_STATUS(build_section_two(with_all).write(docx_path));
  files.push_back({std::string(kDocxName), fs::file_size(docx_path, ec)});
  for (const auto& a : annexes) {
    const auto p = dir / a.file_name;
    KAIWU_TRY_STATUS(write_xlsx(p, a.sheets));
    files.push_back({a.file_name, fs::file_size(p, ec)});
  }
  return files;
}

}  // namespace kaiwu::report
