// skewless/expr/canonical.hpp — the canonical text of a definition, and its hash.
//
// The fingerprint of a feature set is FNV-1a 64 of this text. The text names every
// feature, node kind, parameter, field name and type, window, and the format version,
// in a fixed grammar with no compiler-dependent parts (no typeid, doubles as their
// IEEE bits in hex), so the fingerprint is the same on every compiler and platform.
//
//   constexpr auto fp = skewless::fnv1a64("abc");   // 0xe71fa2190541574b
#pragma once

#include <skewless/expr/category.hpp>
#include <skewless/expr/time_traits.hpp>
#include <skewless/expr/traits.hpp>
#include <skewless/version.hpp>

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace skewless::inline v1 {

// FNV-1a, 64 bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3. Fixed forever:
// fingerprints and snapshot checksums depend on it.
struct fnv1a64_state {
  std::uint64_t h = 0xcbf29ce484222325ull;
  constexpr void put(std::string_view s) noexcept {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ull;
    }
  }
};

[[nodiscard]] constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
  fnv1a64_state st;
  st.put(s);
  return st.h;
}

namespace expr_internal {

struct string_sink {
  std::string text;
  constexpr void put(std::string_view s) { text.append(s); }
};

template <class Sink> constexpr void put_uint(Sink& out, std::uint64_t v, int base = 10) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  char rev[24];
  for (int i = 0; i < n; ++i) rev[i] = buf[n - 1 - i];
  out.put(std::string_view(rev, n));
}

template <class Sink> constexpr void put_int(Sink& out, std::int64_t v) {
  if (v < 0) {
    out.put("-");
    put_uint(out, ~static_cast<std::uint64_t>(v) + 1);
  } else {
    put_uint(out, static_cast<std::uint64_t>(v));
  }
}

template <class Sink> constexpr void put_double(Sink& out, double v) {
  out.put("0x");
  put_uint(out, std::bit_cast<std::uint64_t>(v), 16);
}

template <class Sink, class O, class L, class R> constexpr void put_compound(Sink& out, const binary<O, L, R>& n);
template <class Sink, class O, class A> constexpr void put_compound(Sink& out, const unary<O, A>& n);
template <class Sink, class K, class A, class W, class P>
constexpr void put_compound(Sink& out, const aggregate<K, A, W, P>& n);

template <class Sink, class N, class... I> constexpr void put_compound(Sink& out, const column_group<N, I...>& n);
template <class Sink, std::size_t I, class V> constexpr void put_compound(Sink& out, const component<I, V>& n);
template <class Sink, class A, class B> constexpr void put_compound(Sink& out, const cosine_similarity<A, B>& n);

template <class Sink, class T> constexpr void put_node(Sink& out, const T& node) {
  if constexpr (is_field_ref<T>::value) {
    out.put("field(");
    out.put(T::name.view());
    out.put(":");
    out.put(type_name<field_type_t<typename T::event_type, T::name>>());
    out.put(")");
  } else if constexpr (std::is_same_v<T, literal>) {
    out.put("lit(");
    put_double(out, node.value);
    out.put(")");
  } else if constexpr (std::is_same_v<T, no_arg>) {
    out.put("*");
  } else if constexpr (std::is_same_v<T, no_filter>) {
    out.put("all");
  } else if constexpr (std::is_same_v<T, sliding_window>) {
    out.put("sliding(");
    put_int(out, node.width_us);
    if (node.offset_us != 0) {  // unlagged windows keep the text (and fingerprint) of 0.1
      out.put("us,ending=");
      put_int(out, node.offset_us);
    }
    out.put("us)");
  } else if constexpr (std::is_same_v<T, lifetime_window>) {
    out.put("lifetime()");
  } else if constexpr (std::is_same_v<T, tiled_window>) {
    out.put("tiled(");
    put_int(out, node.width_us);
    out.put("us,");
    put_int(out, node.hop_us);
    out.put("us)");
  } else if constexpr (std::is_same_v<T, last_n_window>) {
    out.put("last_n(");
    put_int(out, node.n);
    out.put(")");
  } else {
    put_compound(out, node);
  }
}

template <class Sink, class O, class L, class R> constexpr void put_compound(Sink& out, const binary<O, L, R>& n) {
  out.put(O::name);
  out.put("(");
  put_node(out, n.lhs);
  out.put(",");
  put_node(out, n.rhs);
  out.put(")");
}

template <class Sink, class O, class A> constexpr void put_compound(Sink& out, const unary<O, A>& n) {
  out.put(O::name);
  out.put("(");
  put_node(out, n.arg);
  out.put(")");
}

// The parameters of a kind, in [ ] after its name.
template <class Sink> constexpr void put_kind_params(Sink& out, const agg::rate& k) {
  out.put("[per=");
  put_int(out, k.per_us);
  out.put("us]");
}
template <class Sink, class K>
  requires requires { K::k; }
constexpr void put_kind_params(Sink& out, const K&) {  // first_k, last_k, top_k_frequency
  out.put("[k=");
  put_uint(out, K::k);
  out.put("]");
}
template <class Sink, unsigned P> constexpr void put_kind_params(Sink& out, const agg::approx_distinct_count<P>&) {
  out.put("[precision=");
  put_uint(out, P);
  out.put("]");
}
template <class Sink, double Alpha, double... Qs>
constexpr void put_kind_params(Sink& out, const agg::approx_quantile<Alpha, Qs...>&) {
  out.put("[alpha=");
  put_double(out, Alpha);
  ((out.put(",q="), put_double(out, Qs)), ...);
  out.put("]");
}
template <class Sink, class K>
  requires requires { K::half_life_us; }
constexpr void put_kind_params(Sink& out, const K&) {
  out.put("[half_life=");
  put_int(out, K::half_life_us);
  out.put("us]");
}
template <class Sink, class K> constexpr void put_kind_params(Sink&, const K&) {}

template <class Sink, class K, class A, class W, class P>
constexpr void put_compound(Sink& out, const aggregate<K, A, W, P>& n) {
  out.put(K::name);
  put_kind_params(out, n.kind);
  out.put("(");
  put_node(out, n.arg);
  out.put(",");
  put_node(out, n.window);
  out.put(",where=");
  put_node(out, n.pred);
  out.put(")");
}

template <class Sink, class N, class... I> constexpr void put_compound(Sink& out, const column_group<N, I...>& n) {
  out.put("columns(");
  std::apply(
      [&](const auto&... item) {
        bool first = true;
        ((out.put(first ? "" : ","), first = false, put_node(out, item)), ...);
      },
      n.items);
  out.put(")");
}

template <class Sink, std::size_t I, class V> constexpr void put_compound(Sink& out, const component<I, V>& n) {
  out.put("component[");
  put_uint(out, I);
  out.put("](");
  put_node(out, n.vec);
  out.put(")");
}
template <class Sink, class A, class B> constexpr void put_compound(Sink& out, const cosine_similarity<A, B>& n) {
  out.put("cosine(");
  put_node(out, n.a);
  out.put(",");
  put_node(out, n.b);
  out.put(")");
}

// A vocabulary value as text: a string as itself, an integer in decimal.
template <class Sink> constexpr void put_vocabulary_text(Sink& out, const category_literal& v) {
  if (v.is_text) out.put(v.view());
  else put_int(out, v.number);
}
template <class Sink, category_literal... V>
constexpr void put_vocabulary_entry(Sink& out, vocabulary_t<V...>*, std::size_t i) {
  std::size_t j = 0;
  ((j++ == i ? put_vocabulary_text(out, V) : void()), ...);
}
// An enum's value by its name from enum_names<E>, or its number.
template <class Sink, class E, category_literal... V>
constexpr void put_vocabulary_entry(Sink& out, enum_vocabulary<E, vocabulary_t<V...>>*, std::size_t i) {
  if constexpr (NamedEnum<E>) {
    std::string_view name;
    std::size_t j = 0;
    ((j++ == i ? (name = enum_names<E>::name(static_cast<E>(V.number)), 0) : 0), ...);
    if (!name.empty()) {
      out.put(name);
      return;
    }
  }
  put_vocabulary_entry(out, static_cast<vocabulary_t<V...>*>(nullptr), i);
}

}  // namespace expr_internal

// Writes the canonical text of any node to a sink with put(string_view).
template <class Sink, class T> constexpr void write_canonical(Sink& out, const T& node) {
  expr_internal::put_node(out, node);
}

template <class T> [[nodiscard]] std::string canonical_text(const T& node) {
  expr_internal::string_sink s;
  write_canonical(s, node);
  return std::move(s.text);
}

}  // namespace skewless::inline v1
