#include "storage/store.hpp"

#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>

namespace crm::storage {

namespace {

const char* cf_names[] = {"events", "indexes", "snapshots", "timers", "meta"};

error from_status(const rocksdb::Status& s, const std::string& what) {
  return error{errc::unavailable, what + ": " + s.ToString()};
}

} // namespace

store::~store() {
  if (db_) {
    for (auto* h : handles_)
      db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
  if (!secondary_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir_, ec);
  }
}

namespace {

/// Memtable insert hints (RocksDB keeps the last insert position per prefix). Event keys are the
/// next seq, always past the end: one hint for the whole log. A company's index rows
/// ("c|company|" + seq) are each past the end of their company's range: one hint per company.
/// The rows of entities the server numbers ("e|TKT-", "e|CALL-", "e|REP-") go mostly to the end
/// of their kind's range, as new entities are numbered upwards: one hint per kind. Other entity
/// rows (client-chosen NDR ids, later events of old entities) are left alone: a hint per entity
/// would cost ~250 bytes each. Timer keys start with their due time, mostly past the last one
/// written: one hint. Saves most of the skiplist's key comparisons on the journal thread.
class append_hint : public rocksdb::SliceTransform {
public:
  const char* Name() const override { return "crm.append-hint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return rocksdb::Slice(key.data(), 0); }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

class index_rows_hint : public rocksdb::SliceTransform {
public:
  const char* Name() const override { return "crm.index-rows-hint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (key[0] == 'c')
      return rocksdb::Slice(key.data(), key.size() - 8);
    return rocksdb::Slice(key.data(), numbered_kind(std::string_view(key.data(), key.size())));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    std::string_view k(key.data(), key.size());
    if (k.size() > 10 && k[0] == 'c' && k[1] == '|')
      return true;
    return numbered_kind(k) != 0;
  }

private:
  /// The length of "e|TKT-" (and the like) when the key is an entity row of that kind, else 0.
  static std::size_t numbered_kind(std::string_view k) {
    for (std::string_view kind : {"e|TKT-", "e|CALL-", "e|REP-"})
      if (k.size() > kind.size() + 8 && k.compare(0, kind.size(), kind) == 0)
        return kind.size();
    return 0;
  }
};

} // namespace

result<std::unique_ptr<store>> store::open(const std::string& dir, open_mode mode) {
  rocksdb::Options opts;
  opts.create_if_missing = mode == open_mode::read_write;
  opts.create_missing_column_families = mode == open_mode::read_write;
  opts.IncreaseParallelism(2);
  opts.max_open_files = mode == open_mode::secondary ? -1 : 512;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(opts));
  for (auto* name : cf_names) {
    rocksdb::ColumnFamilyOptions cf(opts);
    if (std::string_view(name) == "events")
      cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<append_hint>();
    else if (std::string_view(name) == "indexes")
      cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<index_rows_hint>();
    else if (std::string_view(name) == "timers")
      cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<append_hint>();
    cfs.emplace_back(name, cf);
  }

  std::unique_ptr<store> s(new store());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st;
  if (mode == open_mode::read_write) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    st = rocksdb::DB::Open(opts, dir, cfs, &handles, &raw);
  } else {
    if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT"))
      return error{errc::not_found, "no database in " + dir};
    if (mode == open_mode::read_only) {
      st = rocksdb::DB::OpenForReadOnly(opts, dir, cfs, &handles, &raw);
    } else {
      std::random_device rd;
      s->secondary_dir_ = (std::filesystem::temp_directory_path()
                           / ("crm-secondary-" + std::to_string(rd())))
                            .string();
      st = rocksdb::DB::OpenAsSecondary(opts, dir, s->secondary_dir_, cfs, &handles, &raw);
    }
  }
  if (!st.ok())
    return from_status(st, "cannot open " + dir);
  s->db_.reset(raw);
  // handles[0] is the default family, kept so that it is destroyed; ours follow.
  s->handles_.assign(handles.begin() + 1, handles.end());
  s->db_->DestroyColumnFamilyHandle(handles[0]);
  if (mode == open_mode::secondary)
    s->catch_up();
  return s;
}

void store::catch_up() {
  if (!secondary_dir_.empty())
    db_->TryCatchUpWithPrimary();
}

std::optional<std::string> store::get(cf c, std::string_view key) const {
  std::string v;
  auto st = db_->Get(rocksdb::ReadOptions(), handle(c), rocksdb::Slice(key.data(), key.size()), &v);
  if (!st.ok())
    return std::nullopt;
  return v;
}

std::pair<std::uint64_t, std::string> store::last_event() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf::events)));
  it->SeekToLast();
  if (!it->Valid())
    return {0, genesis_hash()};
  auto parts = split_stored(std::string_view(it->value().data(), it->value().size()));
  return {get_be64(std::string_view(it->key().data(), it->key().size())),
          parts ? std::string(parts->hash) : genesis_hash()};
}

void store::scan_events(std::uint64_t from, std::uint64_t to,
                        const std::function<bool(std::uint64_t, std::string_view)>& visit) const {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  ro.fill_cache = false; // whole-log scans would only evict what the server reads
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(cf::events)));
  auto start = be64(from);
  for (it->Seek(start); it->Valid(); it->Next()) {
    auto seq = get_be64(std::string_view(it->key().data(), it->key().size()));
    if (seq > to)
      break;
    if (!visit(seq, std::string_view(it->value().data(), it->value().size())))
      break;
  }
}

void store::scan(cf c, std::string_view prefix,
                 const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(c)));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.substr(0, prefix.size()) != prefix)
      break;
    if (!visit(k, std::string_view(it->value().data(), it->value().size())))
      break;
  }
}

std::vector<std::uint64_t> store::entity_seqs(std::string_view entity, std::uint64_t after) const {
  std::vector<std::uint64_t> out;
  auto prefix = entity_prefix(entity);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf::indexes)));
  auto start = prefix + be64(after + 1);
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.substr(0, prefix.size()) != prefix)
      break;
    if (k.size() != prefix.size() + 8)
      continue; // another entity whose id starts with this one and a '|'
    out.push_back(get_be64(k.substr(prefix.size())));
  }
  return out;
}

std::optional<event> store::event_at(std::uint64_t seq) const {
  auto v = get(cf::events, be64(seq));
  if (!v)
    return std::nullopt;
  auto e = decode_stored(*v);
  if (e)
    e->seq = seq;
  return e;
}

std::vector<event> store::company_events(std::string_view company, std::uint64_t after,
                                         std::size_t limit,
                                         const std::function<bool(const event&)>& keep) const {
  std::vector<event> out;
  if (after == std::numeric_limits<std::uint64_t>::max())
    return out; // nothing comes after the last possible seq
  auto prefix = company_prefix(company);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf::indexes)));
  // Each row is a run of the company's consecutive events: key its first seq, value its length
  // (empty: one). Reads the seqs of a row from `from` on; false once the page is full.
  auto row = [&](std::uint64_t from) {
    std::string_view k(it->key().data(), it->key().size());
    std::string_view v(it->value().data(), it->value().size());
    auto first = get_be64(k.substr(prefix.size()));
    auto count = v.size() == 8 ? get_be64(v) : 1;
    for (auto s = std::max(first, from); s < first + count && out.size() < limit; ++s)
      if (auto e = event_at(s); e && keep(*e))
        out.push_back(std::move(*e));
    return out.size() < limit;
  };
  auto ours = [&] {
    std::string_view k(it->key().data(), it->key().size());
    return k.size() == prefix.size() + 8 && k.substr(0, prefix.size()) == prefix;
  };
  auto start = prefix + be64(after + 1);
  // The run that began before `after + 1` may reach past it.
  it->SeekForPrev(start);
  if (it->Valid() && ours() && get_be64(std::string_view(it->key().data(), it->key().size()).substr(prefix.size())) < after + 1
      && !row(after + 1))
    return out;
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.substr(0, prefix.size()) != prefix)
      break;
    if (k.size() != prefix.size() + 8)
      continue; // another company whose id starts with this one and a '|'
    if (!row(after + 1))
      break;
  }
  return out;
}

} // namespace crm::storage
