// The bundled `conflux` program: engine commands for the shell.
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "conflux/any.h"
#include "conflux/doc.h"
#include "server_commands.h"

namespace {

const char* kUsage =
    "usage: conflux <command> [options]\n"
    "\n"
    "Server commands:\n"
    "%SERVE%"
    "\n"
    "Document commands (v1 update files, applied in order to an empty document):\n"
    "  conflux doc json [--type NAME=text|array|map|xml]... FILE...\n"
    "      print {root: root.toJSON()} as Yjs would\n"
    "  conflux doc encode [--sv SVFILE] [-o OUT] FILE...\n"
    "      write the document state as a v1 update (against SVFILE's state vector)\n"
    "  conflux doc sv [-o OUT] FILE...\n"
    "      write the document's state vector\n"
    "  conflux trace replay [--client ID] [-o OUT] TRACE.json.gz\n"
    "      replay an editing trace into Text \"text\", one transaction per patch\n"
    "\n"
    "  conflux help   this text\n";

void print_usage(std::ostream& out) {
  std::string text = kUsage;
  text.replace(text.find("%SERVE%"), 7, kServeUsage);
  out << text;
}

int fail(const std::string& msg) {
  std::cerr << "conflux: " << msg << "\n";
  return 1;
}

bool read_file(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

bool write_output(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (path.empty() || path == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return std::fflush(stdout) == 0;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return bool(out);
}

bool gunzip_file(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out->append(buf, size_t(n));
  bool ok = n == 0;
  gzclose(f);
  return ok;
}

// Applies update files in order; reports the first that is refused.
bool load_doc(conflux::Doc& doc, const std::vector<std::string>& files, std::string* err) {
  for (const std::string& path : files) {
    std::vector<uint8_t> bytes;
    if (!read_file(path, &bytes)) {
      *err = "cannot read " + path;
      return false;
    }
    conflux::Status s = doc.apply_update(bytes);
    if (!s.ok()) {
      *err = path + ": " + s.message();
      return false;
    }
  }
  return true;
}

int doc_command(int argc, char** argv) {
  if (argc < 1) return fail("doc: missing subcommand (json, encode, sv)");
  std::string sub = argv[0];
  std::vector<std::string> files;
  std::vector<std::pair<std::string, std::string>> types;
  std::string out_path, sv_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--type" && sub == "json" && i + 1 < argc) {
      std::string spec = argv[++i];
      size_t eq = spec.find('=');
      if (eq == std::string::npos) return fail("--type wants NAME=KIND, got " + spec);
      std::string kind = spec.substr(eq + 1);
      if (kind != "text" && kind != "array" && kind != "map" && kind != "xml")
        return fail("unknown type kind '" + kind + "' (text, array, map, xml)");
      types.emplace_back(spec.substr(0, eq), kind);
    } else if (a == "-o" && sub != "json" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "--sv" && sub == "encode" && i + 1 < argc) {
      sv_path = argv[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return fail("doc " + sub + ": unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (sub != "json" && sub != "encode" && sub != "sv") return fail("doc: unknown subcommand " + sub);
  if (files.empty()) return fail("doc " + sub + ": no update files given");
  conflux::Doc doc(conflux::Doc::Options{.client_id = 999});
  std::string err;
  if (!load_doc(doc, files, &err)) return fail(err);
  if (sub == "json") {
    // Roots get their kind only after every update is in, like a Yjs
    // document that opens its roots after loading.
    for (const auto& [name, kind] : types) {
      bool ok = kind == "text"    ? doc.get_text(name).valid()
                : kind == "array" ? doc.get_array(name).valid()
                : kind == "map"   ? doc.get_map(name).valid()
                                  : doc.get_xml_fragment(name).valid();
      if (!ok) return fail("root " + name + " cannot be opened as " + kind);
    }
    std::string json = doc.to_json().to_json();
    json.push_back('\n');
    std::fwrite(json.data(), 1, json.size(), stdout);
    return 0;
  }
  if (sub == "sv") return write_output(out_path, doc.encode_state_vector()) ? 0 : fail("cannot write " + out_path);
  std::vector<uint8_t> sv;
  if (!sv_path.empty() && !read_file(sv_path, &sv)) return fail("cannot read " + sv_path);
  return write_output(out_path, doc.encode_state_as_update(sv)) ? 0 : fail("cannot write " + out_path);
}

int trace_command(int argc, char** argv) {
  if (argc < 1 || std::string(argv[0]) != "replay") return fail("trace: the only subcommand is replay");
  uint64_t client = 1;
  std::string out_path, trace_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--client" && i + 1 < argc) {
      char* end = nullptr;
      client = std::strtoull(argv[++i], &end, 10);
      if (!end || *end) return fail("--client wants a number");
    } else if (a == "-o" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return fail("trace replay: unknown option " + a);
    } else {
      trace_path = a;
    }
  }
  if (trace_path.empty()) return fail("trace replay: no trace file given");
  std::string raw;
  if (!gunzip_file(trace_path, &raw)) return fail("cannot read " + trace_path);
  conflux::Any trace;
  if (!conflux::Any::from_json(raw, &trace) || !trace.is_object()) return fail(trace_path + ": not a JSON trace");
  const conflux::Any* txns = trace.get("txns");
  const conflux::Any* end_content = trace.get("endContent");
  if (!txns || !txns->is_array() || !end_content || !end_content->is_string())
    return fail(trace_path + ": missing txns or endContent");

  // Patches address code points; the document addresses UTF-16 units. A shadow
  // copy of the text converts positions when the trace leaves the BMP.
  std::u32string shadow;
  bool bmp_only = true;
  for (unsigned char c : raw) {
    if (c >= 0xF0) bmp_only = false;
  }
  conflux::Doc doc(conflux::Doc::Options{.client_id = client});
  conflux::Text text = doc.get_text("text");
  uint64_t ops = 0;
  auto utf16_pos = [&](uint64_t cp) -> uint64_t {
    if (bmp_only) return cp;
    uint64_t u = 0;
    for (uint64_t i = 0; i < cp && i < shadow.size(); ++i) u += shadow[i] > 0xFFFF ? 2 : 1;
    return u;
  };
  auto to_u32 = [](const std::string& s) {
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
      unsigned char c = s[i];
      char32_t cp;
      int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
      for (int k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
      out.push_back(cp);
      i += n;
    }
    return out;
  };
  auto start = std::chrono::steady_clock::now();
  for (const conflux::Any& t : txns->as_array()) {
    const conflux::Any* patches = t.get("patches");
    if (!patches || !patches->is_array()) return fail("trace: a transaction without patches");
    for (const conflux::Any& p : patches->as_array()) {
      if (!p.is_array() || p.as_array().size() != 3) return fail("trace: malformed patch");
      const auto& a = p.as_array();
      uint64_t pos = uint64_t(a[0].as_number());
      uint64_t del = uint64_t(a[1].as_number());
      const std::string& ins = a[2].as_string();
      if (del > 0) {
        uint64_t from = utf16_pos(pos);
        uint64_t to = utf16_pos(pos + del);
        text.remove(from, to - from);
        if (!bmp_only) shadow.erase(pos, del);
        ++ops;
      }
      if (!ins.empty()) {
        text.insert(utf16_pos(pos), ins);
        if (!bmp_only) shadow.insert(pos, to_u32(ins));
        ++ops;
      }
    }
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::vector<uint8_t> update = doc.encode_state_as_update();
  std::string result = text.to_string();
  std::cerr << "operations: " << ops << "\nfinal length: " << text.length() << " (UTF-16 units)\ntime: " << ms
            << " ms\nupdate: " << update.size() << " bytes\n";
  if (!out_path.empty() && !write_output(out_path, update)) return fail("cannot write " + out_path);
  if (result != end_content->as_string()) return fail("replay result differs from the trace's endContent");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help" ||
      std::string(argv[1]) == "-h") {
    print_usage(std::cout);
    return 0;
  }
  std::string cmd = argv[1];
  if (cmd == "doc") return doc_command(argc - 2, argv + 2);
  if (cmd == "trace") return trace_command(argc - 2, argv + 2);
  if (cmd == "serve") return serve_command(argc - 2, argv + 2);
  if (cmd == "token") return token_command(argc - 2, argv + 2);
  if (cmd == "export") return export_command(argc - 2, argv + 2);
  if (cmd == "import") return import_command(argc - 2, argv + 2);
  std::cerr << "conflux: unknown command '" << cmd << "'\n";
  print_usage(std::cerr);
  return 2;
}
