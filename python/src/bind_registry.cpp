// Python binding of the component registry (init_registry): predsense.registry() lists every
// registered component with its parameters (predsense/registry/registry.hpp), for users, the .pyi
// stub generator (python/tests/stubgen.py) and the docs generator (scripts/gen_registry_docs.py).
#include <cmath>
#include <string>

#include "components.hpp"

using namespace predsense_py;

namespace {

py::object value_to_python(const reg::param_value& v) {
  if (std::holds_alternative<std::monostate>(v)) return py::none();
  if (auto b = std::get_if<bool>(&v)) return py::bool_(*b);
  if (auto i = std::get_if<std::int64_t>(&v)) return py::int_(*i);
  if (auto d = std::get_if<double>(&v)) return py::float_(*d);
  return py::str(std::get<std::string>(v));
}

py::dict component_dict(const reg::component_spec& c) {
  py::list params;
  for (const auto& p : c.params) {
    py::dict d;
    d["name"] = p.name;
    d["keyword"] = python_keyword(p.name);
    d["type"] = reg::type_name(p.type);
    d["range"] = reg::range_text(p);
    d["min"] = p.lo, d["max"] = p.hi, d["min_open"] = p.lo_open, d["max_open"] = p.hi_open;
    d["choices"] = p.choices;
    d["default"] = value_to_python(p.def);
    d["default_text"] = reg::to_text(p.def);
    d["optional"] = p.optional;
    d["required"] = std::holds_alternative<std::monostate>(p.def) && !p.optional;
    d["unit"] = p.unit;
    d["doc"] = p.doc;
    d["aliases"] = p.aliases;
    params.append(d);
  }
  py::dict out;
  out["kind"] = c.kind, out["name"] = c.name, out["doc"] = c.doc, out["aliases"] = c.aliases;
  out["python_class"] = c.python_class, out["cpp_type"] = c.cpp_type, out["params"] = params;
  return out;
}

}  // namespace

void init_registry(py::module_& m) {
  m.def(
      "registry",
      [](std::optional<std::string> kind, std::optional<std::string> name) -> py::object {
        if (name) {
          if (!kind) throw predsense::invalid_argument_error("registry: name= needs kind=");
          std::vector<std::string> deprecated;
          const auto& c = reg::find(*kind, *name, &deprecated);
          warn_deprecated("registry", deprecated);
          return component_dict(c);
        }
        py::list out;
        if (kind) {
          for (const auto* c : reg::components(*kind)) out.append(component_dict(*c));
        } else {
          for (const auto& c : reg::all()) out.append(component_dict(c));
        }
        return out;
      },
      py::arg("kind") = py::none(), py::arg("name") = py::none(),
      "The component registry (predsense/registry/registry.hpp; docs/registry.md): one dict per registered "
      "component {kind, name, doc, aliases, python_class, cpp_type, params}, each parameter a dict {name, keyword "
      "(the Python keyword), type ('int' | 'float' | 'bool' | 'str'), range (text), min, max, min_open, max_open, "
      "choices, default, default_text, optional (None accepted: off), required, unit, doc, aliases (deprecated "
      "spellings)}.\nkind: one of registry_kinds() (None: every kind). name: one component (needs kind; a "
      "deprecated alias warns).\nRaises InvalidArgumentError (unknown kind or name, listing the known ones).");
  m.def(
      "registry_kinds", [] { return reg::kinds(); },
      "The component kinds of the registry: predictor, metric, normalizer, segmenter, transition_detector, "
      "memory_policy, offline_cost, penalty.");
}
