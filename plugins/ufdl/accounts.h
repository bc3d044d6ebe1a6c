// What the accounts routes (users.cpp, teams.cpp, projects.cpp, licences.cpp, auth.cpp) share:
// DRF's fields on a body (CharField; BooleanField and PrimaryKeyRelatedField over ufdl_common's
// boolValue/pkValue), batch helpers, `list` answers, and the life of records whose name is unique (create,
// rename, soft delete, reinstate, hard delete). Header-only, private to the ufdl plugin.
#pragma once
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl::accounts {

// DRF's CharField (charValue) on a body's field: nullopt (with an error added) when invalid or
// (if `required`) missing; nullopt without an error when absent and optional.
inline std::optional<std::string> charField(const Poco::JSON::Object& body, const std::string& name,
                                            FieldErrors& errors, bool required, std::size_t maxLength,
                                            bool allowBlank = false) {
  const auto value = given(body, name, errors, required);
  return value ? charValue(*value, name, allowBlank, maxLength, errors) : std::nullopt;
}

// DRF's BooleanField (boolValue) and PrimaryKeyRelatedField (pkValue) on a body's field.
inline std::optional<bool> boolField(const Poco::JSON::Object& body, const std::string& name,
                                     FieldErrors& errors, bool required = false) {
  const auto value = given(body, name, errors, required);
  return value ? boolValue(*value, name, errors) : std::nullopt;
}
inline std::optional<int64_t> pkField(const Poco::JSON::Object& body, const std::string& name,
                                      FieldErrors& errors, bool required) {
  const auto value = given(body, name, errors, required);
  return value ? pkValue(*value, name, errors) : std::nullopt;
}

// Applies batches of at most 500 operations each (for cascades over many records).
inline void applyInChunks(const Context& ctx, const std::vector<EntityOperation>& ops) {
  EntityBatch batch;
  for (const auto& op : ops) {
    batch.operations.push_back(op);
    if (batch.operations.size() == 500) {
      ctx.entities->apply(batch);
      batch.operations.clear();
    }
  }
  if (!batch.operations.empty()) ctx.entities->apply(batch);
}

inline EntityOperation updateOp(const std::string& collection, const Entity& e,
                                const Poco::JSON::Object::Ptr& body) {
  EntityOperation op;
  op.kind = EntityOperation::Kind::Update;
  op.collection = collection;
  op.id = e.id;
  op.body = body;
  op.ifMatch = e.etag;
  return op;
}

// ---- records with a unique name held by a key entity (ufdl_common.h: keyBody, removeKeyOf):
// users (kUsernames), teams (kTeamNames), projects (kProjectNames), licences.
struct KeyedKind {
  const char* collection;  // the records
  const char* keys;        // their key entities
  const char* thing;       // "team", "project", ...: for tooBusy
  void (*taken)();         // [[noreturn]]: the field error of a taken name
};

// Creates the record `pk` and its key entity `keyId` in one batch (kind.taken() when the key
// exists: the name is in use). Returns the record as written.
inline Entity createWithKey(const Context& ctx, const KeyedKind& kind, int64_t pk,
                            const Poco::JSON::Object::Ptr& body, const std::string& keyId) {
  try {
    return ctx.entities->apply(
        EntityBatch().create(kind.keys, keyId, keyBody(pk)).create(kind.collection, pkId(pk), body))[1];
  } catch (const Conflict& e) {
    if (batchOperationIndex(e) == 0) kind.taken();
    throw;
  }
}

// Applies a batch whose operation 0 updates a record of `kind` and operation 1 creates its
// new key: the record as written; kind.taken() when the key exists; nullopt when the record
// changed meanwhile (its etag), to read again.
inline std::optional<Entity> applyKeyed(const Context& ctx, const KeyedKind& kind, const EntityBatch& batch) {
  try {
    return ctx.entities->apply(batch)[0];
  } catch (const Conflict& e) {
    if (batchOperationIndex(e) == 1) kind.taken();
    throw;
  } catch (const PreconditionFailed&) {
    return std::nullopt;
  }
}

// Writes `body` over `record` (conditional on its etag) and, when the key id changes from
// `oldKey` to `newKey` on an active record, moves its key entity in the same batch
// (kind.taken() when the new key exists). nullopt when the record or its old key changed
// meanwhile: read again (retryOnConflict).
inline std::optional<Entity> writeWithKey(const Context& ctx, const KeyedKind& kind, const Entity& record,
                                          const Poco::JSON::Object::Ptr& body, const std::string& oldKey,
                                          const std::string& newKey) {
  const int64_t pk = intField(*record.body, "pk");
  EntityBatch batch;
  batch.operations.push_back(updateOp(kind.collection, record, body));
  if (newKey != oldKey && isActive(record)) {
    batch.create(kind.keys, newKey, keyBody(pk));
    removeKeyOf(ctx, batch, kind.keys, oldKey, pk);
  }
  try {
    return applyKeyed(ctx, kind, batch);
  } catch (const NotFound&) {
    return std::nullopt;  // the old key went meanwhile
  }
}

// Soft-deletes the record `pk` (if active: deletion_time now) and frees its key `keyId(body)`,
// then runs `cascade(when)` (the records that go with it). Returns the record as written, or as
// found if it was deleted already.
inline Entity softDelete(const Context& ctx, const KeyedKind& kind, int64_t pk,
                         std::string (*keyId)(const Poco::JSON::Object& body),
                         const std::function<void(const std::string& when)>& cascade) {
  return retryOnConflict(tooBusy(kind.thing), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity record = getRecord(ctx, kind.collection, pk);
    if (!isActive(record)) return record;
    const std::string when = nowIso();
    Poco::JSON::Object::Ptr body = copyOf(*record.body);
    body->set("deletion_time", when);
    EntityBatch batch;
    batch.operations.push_back(updateOp(kind.collection, record, body));
    removeKeyOf(ctx, batch, kind.keys, keyId(*record.body), pk);
    Entity written;
    try {
      written = ctx.entities->apply(batch)[0];
    } catch (const PreconditionFailed&) {
      return std::nullopt;
    } catch (const NotFound&) {
      return std::nullopt;
    }
    cascade(when);
    return written;
  });
}

// Reinstates the record `pk` (if deleted: deletion_time null) with its key `keyId(body)`
// (kind.taken() if an active record took the name meanwhile); `revive(record, batch)` adds
// the records that come back with it. Returns the record as written, or as found if active.
inline Entity reinstate(const Context& ctx, const KeyedKind& kind, int64_t pk,
                        std::string (*keyId)(const Poco::JSON::Object& body),
                        const std::function<void(const Entity& record, EntityBatch& batch)>& revive) {
  return retryOnConflict(tooBusy(kind.thing), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity record = getRecord(ctx, kind.collection, pk);
    if (isActive(record)) return record;
    Poco::JSON::Object::Ptr body = copyOf(*record.body);
    body->set("deletion_time", Poco::Dynamic::Var());
    EntityBatch batch;
    batch.operations.push_back(updateOp(kind.collection, record, body));
    batch.create(kind.keys, keyId(*record.body), keyBody(pk));
    revive(record, batch);
    return applyKeyed(ctx, kind, batch);
  });
}

// 400 unless no record of `children` has `field` = pk: "Cannot hard-delete <thing> <pk>: it
// still has <children> (hard-delete them first)".
inline void requireNoChildren(const Context& ctx, const char* thing, int64_t pk, const std::string& children,
                              const std::string& field, const char* what) {
  if (anyWith(ctx, children, field, pk))
    throw BadRequest("ufdl", std::string("Cannot hard-delete ") + thing + " " + std::to_string(pk) +
                                 ": it still has " + what + " (hard-delete them first)");
}

// Removes the record `pk` of `collection` (a hard delete; gone meanwhile is fine).
inline void removeRecord(const Context& ctx, const std::string& collection, int64_t pk) {
  try {
    ctx.entities->remove(collection, pkId(pk), "");
  } catch (const NotFound&) {
    // removed meanwhile by a concurrent hard delete
  }
}

// The condition "`field` is one of the caller's teams" (what a non-staff caller may list).
inline EntityCondition inTeamsOf(const Context& ctx, const Caller& who, const std::string& field) {
  EntityCondition own;
  Poco::JSON::Array::Ptr pks = new Poco::JSON::Array;
  for (int64_t t : teamsOf(ctx, who.pk)) pks->add(t);
  own.filter = {field, EntityFilter::Op::In, pks};
  return own;
}

// The query of a `list` request: its FilterSpec body (filter_spec.h) on `schema`, and `extra`
// conditions (visibility).
inline EntityQuery filteredQuery(const Context& ctx, Request& req, const ResourceSchema& schema,
                                 const std::vector<EntityCondition>& extra = {}) {
  const auto body = jsonBody(ctx, req);
  return listQuery(parseFilterSpec(ctx, Poco::Dynamic::Var(body), schema), schema, extra);
}

// Answers a `list` request: the records of `collection` its body selects (filteredQuery), as
// `toJson` shows them, in a JSON array.
template <class ToJson>
void sendList(const Context& ctx, Request& req, Response& res, const std::string& collection,
              const ResourceSchema& schema, ToJson toJson, const std::vector<EntityCondition>& extra = {}) {
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const auto& e : listAll(ctx, collection, filteredQuery(ctx, req, schema, extra))) out->add(toJson(e));
  res.sendJson(out, 200);
}

}  // namespace strata::ufdl::accounts
