#include "storage/store.hpp"

#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

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
/// would cost ~250 bytes each. (Keys as in keys.hpp: "c" lp(company) seq, "e" lp(entity) seq.) Timer keys start with their due time, mostly past the last one
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
    if (k.size() > 11 && k[0] == 'c')
      return true;
    return numbered_kind(k) != 0;
  }

private:
  /// The length of "e" lp "TKT-" (and the like: the kind and its id length) when the key is an
  /// entity row of that kind, else 0.
  static std::size_t numbered_kind(std::string_view k) {
    if (k.size() < 3 || k[0] != 'e')
      return 0;
    for (std::string_view kind : {"TKT-", "CALL-", "REP-"})
      if (k.size() > 3 + kind.size() + 8 && k.compare(3, kind.size(), kind) == 0)
        return 3 + kind.size();
    return 0;
  }
};

} // namespace

result<bool> store::flush() {
  // 3 s of a 10 s start with 1M events was replaying the log when nothing was flushed.
  auto st = db_->Flush(rocksdb::FlushOptions(), handles_);
  if (!st.ok())
    return from_status(st, "cannot write the memtables out");
  return true;
}

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
  // A record cut short at the end of the WAL (a crash mid-write) is dropped, as it was never
  // answered; damage anywhere else refuses to open instead of silently losing what follows.
  opts.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;

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
    if (auto r = s->catch_up(); !r)
      return r.take_error();
  if (mode == open_mode::read_write) {
    auto moved = s->upgrade_layout();
    if (!moved)
      return moved.take_error();
  }
  return s;
}

result<bool> store::catch_up() {
  if (secondary_dir_.empty())
    return true;
  if (auto st = db_->TryCatchUpWithPrimary(); !st.ok())
    return from_status(st, "cannot follow the server's writes");
  return true;
}

namespace {

/// A layout-1 index row ("e|" entity "|" seq, "c|" company "|" seq, "i|" company "|" key) in
/// layout 2; empty when the key is not one.
std::string upgrade_index_key(std::string_view k) {
  if (k.size() < 2 || k[1] != '|')
    return {};
  if ((k[0] == 'e' || k[0] == 'c') && k.size() >= 2 + 1 + 8 && k[k.size() - 9] == '|') {
    std::string out(1, k[0]);
    put_lp(out, k.substr(2, k.size() - 11));
    out.append(k.substr(k.size() - 8));
    return out;
  }
  if (k[0] == 'i') {
    auto rest = k.substr(2);
    auto bar = rest.find('|');
    if (bar == std::string_view::npos)
      return {};
    return idempotency_key(rest.substr(0, bar), rest.substr(bar + 1));
  }
  return {};
}

/// A layout-1 timer row (be64(due) company "|" entity "|" kind) in layout 2. Entity ids and
/// kinds never held a '|': the last two split it.
std::string upgrade_timer_key(std::string_view k) {
  if (k.size() < 8)
    return {};
  auto rest = k.substr(8);
  auto b = rest.rfind('|');
  if (b == std::string_view::npos || b == 0)
    return {};
  auto a = rest.rfind('|', b - 1);
  if (a == std::string_view::npos)
    return {};
  return encode_timer({static_cast<std::int64_t>(get_be64(k)), std::string(rest.substr(0, a)),
                       std::string(rest.substr(a + 1, b - a - 1)), std::string(rest.substr(b + 1))});
}

} // namespace

result<std::size_t> store::upgrade_layout() {
  auto layout = get(cf::meta, "key_layout");
  if (!layout)
    return layout.take_error();
  if (layout.value() && *layout.value() == "2")
    return std::size_t{0};
  std::size_t moved = 0;
  // One pass: an iterator (its own snapshot, blind to what it writes) over the old rows only,
  // in chunks, each one WriteBatch that deletes old rows and puts their new form; a crash in
  // between leaves every row in one layout or the other, and the next open goes on.
  rocksdb::WriteBatch wb;
  std::size_t in_batch = 0;
  auto flush = [&]() -> std::optional<error> {
    if (in_batch == 0)
      return std::nullopt;
    if (auto st = db_->Write(rocksdb::WriteOptions(), &wb); !st.ok())
      return from_status(st, "cannot upgrade the key layout");
    moved += in_batch;
    in_batch = 0;
    wb.Clear();
    return std::nullopt;
  };
  auto pass = [&](cf family, std::string_view prefix, auto&& is_old, auto&& upgrade) -> std::optional<error> {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(family)));
    for (prefix.empty() ? it->SeekToFirst() : it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid();
         it->Next()) {
      std::string_view k(it->key().data(), it->key().size());
      if (k.substr(0, prefix.size()) != prefix)
        break;
      if (!is_old(k))
        continue;
      auto nk = upgrade(k);
      wb.Delete(handle(family), it->key());
      if (!nk.empty())
        wb.Put(handle(family), nk, it->value());
      if (++in_batch == 100'000)
        if (auto err = flush())
          return err;
    }
    if (!it->status().ok())
      return from_status(it->status(), "cannot read the rows to upgrade them");
    return flush();
  };
  auto old_index = [](std::string_view k) { return k.size() > 1 && k[1] == '|'; };
  // A layout-2 string starts with its length's high byte, 0 for any id: never a '|'.
  auto old_timer = [](std::string_view k) {
    timer_key t;
    return !decode_timer(k, t);
  };
  for (std::string_view prefix : {"c|", "e|", "i|"})
    if (auto err = pass(cf::indexes, prefix, old_index, upgrade_index_key))
      return std::move(*err);
  if (auto err = pass(cf::timers, "", old_timer, upgrade_timer_key))
    return std::move(*err);
  if (auto st = db_->Put(rocksdb::WriteOptions(), handle(cf::meta), "key_layout", "2"); !st.ok())
    return from_status(st, "cannot record the key layout");
  return moved;
}

result<bool> store::verify_files() const {
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  for (auto& f : files) {
    std::error_code ec;
    auto path = std::filesystem::path(f.db_path) / std::filesystem::path(f.name).relative_path();
    auto size = std::filesystem::file_size(path, ec);
    if (ec)
      return error{errc::unavailable, "the data file " + path.string() + " is missing: " + ec.message()};
    if (size != f.size)
      return error{errc::unavailable, "the data file " + path.string() + " has " + std::to_string(size)
                                        + " bytes, the manifest says " + std::to_string(f.size) + " (truncated)"};
  }
  if (auto st = db_->VerifyChecksum(); !st.ok())
    return from_status(st, "the data files are damaged");
  return true;
}

result<std::optional<std::string>> store::get(cf c, std::string_view key) const {
  std::string v;
  auto st = db_->Get(rocksdb::ReadOptions(), handle(c), rocksdb::Slice(key.data(), key.size()), &v);
  if (st.IsNotFound())
    return std::optional<std::string>{};
  if (!st.ok())
    return from_status(st, "cannot read from the database");
  return std::optional<std::string>(std::move(v));
}

result<std::pair<std::uint64_t, std::string>> store::last_event() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf::events)));
  it->SeekToLast();
  if (!it->status().ok())
    return from_status(it->status(), "cannot read the event log");
  if (!it->Valid())
    return std::pair{std::uint64_t{0}, genesis_hash()};
  auto parts = split_stored(std::string_view(it->value().data(), it->value().size()));
  auto seq = get_be64(std::string_view(it->key().data(), it->key().size()));
  if (!parts)
    return error{errc::unavailable, "the last event (seq " + std::to_string(seq) + ") cannot be read"};
  return std::pair{seq, std::string(parts->hash)};
}

result<bool> store::scan_events(std::uint64_t from, std::uint64_t to,
                                const std::function<bool(std::uint64_t, std::string_view)>& visit) const {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  ro.fill_cache = false; // whole-log scans would only evict what the server reads
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(cf::events)));
  auto start = be64(from);
  for (it->Seek(start); it->Valid(); it->Next()) {
    auto seq = get_be64(std::string_view(it->key().data(), it->key().size()));
    if (seq > to)
      return true;
    if (!visit(seq, std::string_view(it->value().data(), it->value().size())))
      return false;
  }
  if (!it->status().ok())
    return from_status(it->status(), "cannot read the event log");
  return true;
}

result<bool> store::scan(cf c, std::string_view prefix,
                         const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(c)));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.substr(0, prefix.size()) != prefix)
      return true;
    if (!visit(k, std::string_view(it->value().data(), it->value().size())))
      return false;
  }
  if (!it->status().ok())
    return from_status(it->status(), std::string("cannot read ") + cf_names[static_cast<int>(c)]);
  return true;
}

result<std::vector<std::uint64_t>> store::entity_seqs(std::string_view entity, std::uint64_t after) const {
  std::vector<std::uint64_t> out;
  auto prefix = entity_prefix(entity);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf::indexes)));
  auto start = prefix + be64(after + 1);
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.size() != prefix.size() + 8 || k.substr(0, prefix.size()) != prefix)
      break;
    out.push_back(get_be64(k.substr(prefix.size())));
  }
  if (!it->status().ok())
    return from_status(it->status(), "cannot read the index of " + std::string(entity));
  return out;
}

result<bool> store::entity_events(std::string_view entity, std::uint64_t after,
                                  const std::function<void(const event&)>& visit) const {
  auto seqs = entity_seqs(entity, after);
  if (!seqs)
    return seqs.take_error();
  for (auto seq : *seqs) {
    auto e = event_at(seq);
    if (!e)
      return e.take_error();
    visit(e.value());
  }
  return true;
}

result<event> store::event_at(std::uint64_t seq) const {
  auto v = get(cf::events, be64(seq));
  if (!v)
    return v.take_error();
  if (!v.value())
    return error{errc::not_found, "no event " + std::to_string(seq)};
  auto e = decode_stored(*v.value());
  if (!e)
    return error{errc::unavailable, "event " + std::to_string(seq) + " cannot be read"};
  e->seq = seq;
  return std::move(*e);
}

result<std::vector<event>> store::company_events(std::string_view company, std::uint64_t after,
                                                 std::size_t limit,
                                                 const std::function<bool(const event&)>& keep) const {
  std::vector<event> out;
  if (after == std::numeric_limits<std::uint64_t>::max())
    return out; // nothing comes after the last possible seq
  auto prefix = company_prefix(company);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle(cf::indexes)));
  std::optional<error> failed;
  // Each row is a run of the company's consecutive events: key its first seq, value its length
  // (empty: one). Reads the seqs of a row from `from` on; false once the page is full.
  auto row = [&](std::uint64_t from) {
    std::string_view k(it->key().data(), it->key().size());
    std::string_view v(it->value().data(), it->value().size());
    auto first = get_be64(k.substr(prefix.size()));
    auto count = v.size() == 8 ? get_be64(v) : 1;
    for (auto s = std::max(first, from); s < first + count && out.size() < limit; ++s) {
      auto e = event_at(s);
      if (!e) {
        failed = e.take_error();
        return false;
      }
      if (keep(e.value()))
        out.push_back(std::move(e.value()));
    }
    return out.size() < limit;
  };
  auto ours = [&] {
    std::string_view k(it->key().data(), it->key().size());
    return k.size() == prefix.size() + 8 && k.substr(0, prefix.size()) == prefix;
  };
  auto start = prefix + be64(after + 1);
  // The run that began before `after + 1` may reach past it.
  it->SeekForPrev(start);
  bool more = true;
  if (it->Valid() && ours() && get_be64(std::string_view(it->key().data(), it->key().size()).substr(prefix.size())) < after + 1)
    more = row(after + 1);
  if (!failed && it->status().ok() && more) {
    for (it->Seek(start); it->Valid() && out.size() < limit && ours(); it->Next())
      if (!row(after + 1))
        break;
  }
  if (failed)
    return std::move(*failed);
  if (!it->status().ok())
    return from_status(it->status(), "cannot read the index of company " + std::string(company));
  return out;
}

} // namespace crm::storage
