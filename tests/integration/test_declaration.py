"""The 双跨 declaration export: a seeded server → POST /api/v1/platform/declaration → the DOCX is
checked with python3-docx (fonts, 16 pt, A4, margins, TOC field), rendered by LibreOffice to PDF
(one conversion), one page rasterised with pdftoppm, the text read with pdftotext (the seeded
figures are there); the XLSX annexes are read with openpyxl and matched against the seeded lists.
`kaiwu report declaration` runs against the same data directory while the server runs."""

import datetime
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import zipfile

import docx
import openpyxl
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

sys.path.insert(0, os.path.dirname(__file__))
from harness import ADMIN_PASSWORD, BUILTIN_APPS, KAIWU, Server, setup_tenant  # noqa: E402

DEVICES = [  # (name, category, protocol) of the second tenant's extra devices
    ("DECL-CNC-07", "processing", "modbus-tcp"),
    ("DECL-AGV-03", "mobile", "opcua"),
    ("DECL-METER-11", "other", "dlt645"),
]
YEAR = datetime.datetime.now(datetime.timezone.utc).year
DOCX_NAME = "申报书-二-平台基本情况与能力指标.docx"


def text_of(document):
    parts = [p.text for p in document.paragraphs]
    for t in document.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def figure(indicators, fid):
    for ind in indicators["indicators"]:
        for f in ind["figures"]:
            if f["id"] == fid:
                return f
    raise AssertionError(f"no figure {fid}")


class DeclarationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kaiwu-decl-")
        cls.server = Server(extra_sets=[f"apps.builtin_dir={BUILTIN_APPS}"]).start()
        s = cls.server
        cls.admin = s.login("admin", ADMIN_PASSWORD)
        _, cls.tok_a, cls.ent_a, cls.dev_a = setup_tenant(s, cls.admin, "declA", "DECL-PUMP-01", industry="机械")
        _, cls.tok_b, cls.ent_b, cls.dev_b = setup_tenant(s, cls.admin, "declB", "DECL-PRESS-02",
                                                          industry="汽车", category="processing",
                                                          protocol="modbus-tcp")
        st, ent, _ = s.request("POST", "/api/v1/enterprises",
                               {"name": "declB parts co", "industry": "汽车", "sme": True, "paid": True}, cls.tok_b)
        assert st == 201, ent
        cls.ent_b2 = ent
        for name, category, protocol in DEVICES:
            st, dev, _ = s.request("POST", "/api/v1/devices", {"name": name, "enterpriseId": ent["id"],
                                                               "category": category, "protocol": protocol}, cls.tok_b)
            assert st == 201, dev
        cls.device_names = {"DECL-PUMP-01", "DECL-PRESS-02"} | {d[0] for d in DEVICES}
        cls.enterprise_names = {"declA co", "declB co", "declB parts co"}

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def generate(self):
        st, body, _ = self.server.request("POST", "/api/v1/platform/declaration", {"year": YEAR}, self.admin)
        self.assertEqual(st, 201, body)
        return body

    def download(self, url):
        st, data, headers = self.server.request("GET", url, token=self.admin)
        self.assertEqual(st, 200, data)
        return data if isinstance(data, bytes) else None, headers

    def fetch_bytes(self, url):
        import urllib.request
        req = urllib.request.Request(self.server.url(url), headers={"Authorization": f"Bearer {self.admin}"})
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.read(), resp.headers

    def test_access_and_bad_input(self):
        s = self.server
        st, _, _ = s.request("POST", "/api/v1/platform/declaration", {"year": YEAR}, self.tok_a)
        self.assertEqual(st, 403)
        st, _, _ = s.request("POST", "/api/v1/platform/declaration", {"year": YEAR})
        self.assertEqual(st, 401)
        st, body, _ = s.request("POST", "/api/v1/platform/declaration", {"year": 1999}, self.admin)
        self.assertEqual(st, 400)
        self.assertIn("year", str(body))
        st, body, _ = s.request("POST", "/api/v1/platform/declaration", {"year": YEAR + 1}, self.admin)
        self.assertEqual(st, 400)
        st, body, _ = s.request("POST", "/api/v1/platform/declaration", {"yaer": YEAR}, self.admin)
        self.assertEqual(st, 400)
        st, body, _ = s.request("POST", "/api/v1/platform/declaration", {}, self.admin)
        self.assertEqual(st, 400)
        st, _, _ = s.request("GET", "/api/v1/platform/declaration/0123456789abcdef0123/x.docx", token=self.admin)
        self.assertEqual(st, 404)
        st, _, _ = s.request("GET", "/api/v1/platform/declaration/..%2F..%2Fmeta.db/x", token=self.admin)
        self.assertEqual(st, 404)
        made = self.generate()
        st, _, _ = s.request("GET", made["files"][0]["url"], token=self.tok_a)
        self.assertEqual(st, 403)

    def test_declaration_document_annexes_and_cli(self):
        s = self.server
        st, ind, _ = s.request("GET", "/api/v1/platform/indicators", token=self.admin)
        self.assertEqual(st, 200, ind)
        devices_total = figure(ind, "devices.total")
        self.assertEqual(devices_total["value"], len(self.device_names))
        enterprises_total = figure(ind, "enterprises.total")
        self.assertEqual(enterprises_total["value"], len(self.enterprise_names))

        made = self.generate()
        self.assertEqual(made["year"], YEAR)
        names = [f["name"] for f in made["files"]]
        self.assertEqual(names[0], DOCX_NAME)
        for expected in ("附件1-设备清单.xlsx", "附件2-模型清单.xlsx", "附件3-APP清单.xlsx", "附件4-服务企业清单.xlsx",
                         "附件5-解决方案清单.xlsx", "附件6-指标口径与查询.xlsx", "附件7-运行日志摘录.xlsx"):
            self.assertIn(expected, names)
        files = {}
        for f in made["files"]:
            data, headers = self.fetch_bytes(f["url"])
            self.assertEqual(len(data), f["bytes"], f["name"])
            self.assertIn("attachment", headers["Content-Disposition"])
            self.assertIn(urllib.parse.quote(f["name"]), headers["Content-Disposition"])
            files[f["name"]] = data
            with open(os.path.join(self.tmp, f["name"]), "wb") as out:
                out.write(data)

        # --- the DOCX: layout and styles (python3-docx) ---
        d = docx.Document(io.BytesIO(files[DOCX_NAME]))
        sec = d.sections[0]
        self.assertAlmostEqual(sec.page_width.cm, 21.0, places=1)
        self.assertAlmostEqual(sec.page_height.cm, 29.7, places=1)
        self.assertAlmostEqual(sec.top_margin.cm, 3.7, places=1)
        self.assertAlmostEqual(sec.bottom_margin.cm, 3.5, places=1)
        self.assertAlmostEqual(sec.left_margin.cm, 2.8, places=1)
        self.assertAlmostEqual(sec.right_margin.cm, 2.6, places=1)
        expected_fonts = {"Normal": ("仿宋", False), "Heading 1": ("黑体", False), "Heading 2": ("楷体", False),
                          "Heading 3": ("仿宋", True)}
        for name, (east_asia, bold) in expected_fonts.items():
            st_ = d.styles[name]
            self.assertEqual(st_.font.size, Pt(16), name)
            self.assertEqual(st_.element.rPr.rFonts.get(qn("w:eastAsia")), east_asia, name)
            self.assertEqual(bool(st_.font.bold), bold, name)
        self.assertEqual(d.styles["Normal"].font.name, "FangSong")
        # Headings of the three levels are used, and the TOC field covers them.
        used = {p.style.name for p in d.paragraphs}
        self.assertTrue({"Heading 1", "Heading 2", "Heading 3", "toc 1", "toc 2", "toc 3"} <= used, used)
        body_xml = d.element.xml
        self.assertIn('TOC \\o "1-3"', body_xml)
        with zipfile.ZipFile(io.BytesIO(files[DOCX_NAME])) as z:
            self.assertIn('<w:updateFields w:val="true"/>', z.read("word/settings.xml").decode())
            self.assertIn("PAGE", z.read("word/footer1.xml").decode())
        text = text_of(d)
        for h in ("二、平台基本情况与能力指标", "（二）平台资源管理水平", "1. 工业设备数量", "（六）平台可持续发展能力"):
            self.assertIn(h, text)
        self.assertIn(f"{devices_total['value']} {devices_total['unit']}", text)
        self.assertIn(f"{enterprises_total['value']} {enterprises_total['unit']}", text)
        # Blanks are marked and highlighted, never filled in.
        blanks = [r for p in d.paragraphs for r in p.runs if r.text.startswith("【待填写：")]
        for t in d.tables:
            for row in t.rows:
                for c in row.cells:
                    blanks += [r for p in c.paragraphs for r in p.runs if r.text.startswith("【待填写：")]
        self.assertGreater(len(blanks), 10)
        self.assertTrue(all(r.font.highlight_color is not None for r in blanks))
        self.assertIn("【待填写：发明专利数量（件）】", text)
        self.assertIn("【待填写：平台上一年度营业收入（万元）】", text)

        # --- render: LibreOffice → PDF (one conversion), one page → PNG, text → figures ---
        profile = tempfile.mkdtemp(prefix="lo-profile-", dir=self.tmp)
        docx_path = os.path.join(self.tmp, DOCX_NAME)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", self.tmp, docx_path], check=True, timeout=240,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pdf = docx_path[:-5] + ".pdf"
        self.assertTrue(os.path.getsize(pdf) > 10_000)
        info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
        self.assertRegex(info, r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)")
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        self.assertGreaterEqual(pages, 4)
        png_base = os.path.join(os.environ.get("KAIWU_DECL_PNG_DIR", self.tmp), "declaration-page")
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "3", "-l", "3", pdf, png_base], check=True, timeout=60)
        pngs = [p for p in os.listdir(os.path.dirname(png_base)) if p.startswith("declaration-page") and p.endswith(".png")]
        self.assertTrue(pngs)
        self.assertGreater(os.path.getsize(os.path.join(os.path.dirname(png_base), pngs[0])), 5_000)
        pdf_text = subprocess.run(["pdftotext", "-layout", pdf, "-"], check=True, capture_output=True,
                                  text=True).stdout
        flat = re.sub(r"\s+", "", pdf_text)  # justified CJK text: spaces come and go
        self.assertIn("工业设备数量", flat)
        self.assertIn(f"{devices_total['nameZh']}{devices_total['value']}{devices_total['unit']}", flat)
        self.assertIn(f"{enterprises_total['nameZh']}{enterprises_total['value']}{enterprises_total['unit']}", flat)
        self.assertIn("【待填写：申报单位全称】", flat)
        self.assertIn("目录", flat)
        # No invented page numbers in the contents (the reader's field update fills them).
        self.assertFalse([l for l in pdf_text.splitlines() if re.search(r"\.{5,}\s*\d+\s*$", l)])

        # --- annexes (openpyxl) against the seeded lists ---
        def rows(name, sheet=None):
            wb = openpyxl.load_workbook(io.BytesIO(files[name]), read_only=True)
            ws = wb[sheet] if sheet else wb.worksheets[0]
            values = list(ws.iter_rows(values_only=True))
            header = values[0]
            return [dict(zip(header, r)) for r in values[1:]]

        devs = rows("附件1-设备清单.xlsx")
        self.assertEqual({r["设备名称"] for r in devs}, self.device_names)
        by_name = {r["设备名称"]: r for r in devs}
        self.assertEqual(by_name["DECL-CNC-07"]["接入协议"], "modbus-tcp")
        self.assertEqual(by_name["DECL-CNC-07"]["设备类别"], "加工设备")
        self.assertEqual(by_name["DECL-CNC-07"]["所属企业"], "declB parts co")
        self.assertEqual(by_name["DECL-AGV-03"]["设备类别"], "行走设备")
        self.assertEqual([r["序号"] for r in devs], list(range(1, len(devs) + 1)))
        ents = rows("附件4-服务企业清单.xlsx")
        self.assertEqual({r["企业名称"] for r in ents}, self.enterprise_names)
        parts = next(r for r in ents if r["企业名称"] == "declB parts co")
        self.assertEqual((parts["中小企业"], parts["付费企业"], parts["所属行业"]), ("是", "是", "汽车"))
        st, apps, _ = s.request("GET", "/api/v1/apps", token=self.admin)
        listed = {a["id"] for a in apps["items"] if a.get("listedVersion")}
        self.assertTrue(listed)
        self.assertEqual({r["APP ID"] for r in rows("附件3-APP清单.xlsx")}, listed)
        self.assertTrue(all(r["应用领域"] for r in rows("附件3-APP清单.xlsx")))
        st, models, _ = s.request("GET", "/api/v1/models?limit=1000", token=self.admin)
        self.assertEqual({r["模型ID"] for r in rows("附件2-模型清单.xlsx")}, {m["id"] for m in models["items"]})
        defs = rows("附件6-指标口径与查询.xlsx")
        self.assertEqual(next(r for r in defs if r["指标项标识"] == "devices.total")["数值"], str(devices_total["value"]))
        audit = rows("附件7-运行日志摘录.xlsx", "审计日志")
        self.assertTrue(any(r["对象类型"] == "enterprise" and r["操作"] == "create" for r in audit), audit[:3])

        # --- the CLI on the same data directory while the server runs ---
        out = os.path.join(self.tmp, "cli")
        run = subprocess.run([KAIWU, "report", "declaration", "--year", str(YEAR), "--out", out,
                              "--data", s.data_dir], capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(names))
        cli_doc = text_of(docx.Document(os.path.join(out, DOCX_NAME)))
        self.assertIn(f"{devices_total['value']} {devices_total['unit']}", cli_doc)
        wb = openpyxl.load_workbook(os.path.join(out, "附件1-设备清单.xlsx"), read_only=True)
        self.assertEqual({r[2] for r in list(wb.worksheets[0].iter_rows(values_only=True))[1:]}, self.device_names)
        self.assertEqual(s.proc.poll(), None)  # the server kept running
        st, _, _ = s.request("GET", "/healthz")
        self.assertEqual(st, 200)
        bad = subprocess.run([KAIWU, "report", "declaration", "--year", "1999", "--out", out, "--data", s.data_dir],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("year", bad.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
