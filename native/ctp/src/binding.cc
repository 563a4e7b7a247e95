// tickrec's CTP market-data binding: loads thostmduserapi_se.so at run time, drives one CThostFtdcMdApi per session, hands its callbacks to JavaScript through bounded thread-safe functions.
//
// DESIGN (docs/ctp.md has the whole story):
// - No link-time dependency on the SDK. The SDK's headers are needed to compile (the
//   struct layouts and the vtables of CThostFtdcMdApi/CThostFtdcMdSpi come from them);
//   the library is dlopen'ed from a path JavaScript gives, and
//   CThostFtdcMdApi::CreateFtdcMdApi is resolved by its mangled name, for both
//   generations: 3 parameters (const char*, bool, bool) up to CTP 6.6.x, and
//   4 parameters (..., bool bIsProductionMode) from 6.7.x. Loading this addon never needs
//   the SDK; only MdSession and probe() do.
// - Every SPI callback runs on the API's own thread. It copies what it got (the struct
//   pointer is only valid during the call) and queues the copy with NonBlockingCall, so
//   the API thread never waits for JavaScript:
//     ticks   a thread-safe function with a bounded queue (queueMax). A full queue drops
//             the tick and counts it (stats().overflow); it never blocks and never crashes.
//     events  connect, disconnect, login, subscribe and error responses: a second
//             thread-safe function with an unbounded queue, because losing a
//             "disconnected" or a login response would stall the session. They are rare.
// - release(): idempotent, safe from inside a tick or event callback (it runs on the JS
//   thread, which the API thread never waits for). It stops new callbacks from being
//   queued, unregisters the SPI, calls CThostFtdcMdApi::Release() (which joins the API's
//   threads), waits until no API thread is inside our SPI, then releases both
//   thread-safe functions. Items still queued are dropped without reaching JavaScript.
// - An environment that ends with a session still running (a worker thread terminated
//   without release()) runs an env cleanup hook that stops the API's threads before the
//   thread-safe functions are torn down; callbacks use plain napi_* calls whose failures
//   are ignored, so a terminating environment cannot abort the process.
// - Error texts (ErrorMsg) are handed over as raw bytes (GBK); JavaScript decodes them.

#include <dlfcn.h>
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "ThostFtdcMdApi.h"

namespace {

const char kAbi[] = "tickrec-ctp/1";
const char kCreate3[] = "_ZN15CThostFtdcMdApi15CreateFtdcMdApiEPKcbb";   // (const char*, bool, bool)
const char kCreate4[] = "_ZN15CThostFtdcMdApi15CreateFtdcMdApiEPKcbbb";  // (const char*, bool, bool, bool)
const char kVersion[] = "_ZN15CThostFtdcMdApi13GetApiVersionEv";

using Create3 = CThostFtdcMdApi *(*)(const char *, bool, bool);
using Create4 = CThostFtdcMdApi *(*)(const char *, bool, bool, bool);
using VersionFn = const char *(*)();
using Field = CThostFtdcDepthMarketDataField;

struct Library {
  void *handle = nullptr;
  Create3 create3 = nullptr;
  Create4 create4 = nullptr;
  VersionFn version = nullptr;
};

std::mutex gLibraryMutex;
// Each library is opened once per path and never closed: an SDK may leave threads or
// atexit handlers behind that must not outlive its code.
std::map<std::string, Library> gLibraries;

bool OpenLibrary(const std::string &path, Library *out, std::string *error) {
  std::lock_guard<std::mutex> lock(gLibraryMutex);
  auto it = gLibraries.find(path);
  if (it != gLibraries.end()) {
    *out = it->second;
    return true;
  }
  dlerror();
  void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char *e = dlerror();
    *error = std::string("cannot load the CTP library: ") + (e != nullptr ? e : path + ": unknown dlopen error");
    return false;
  }
  Library lib;
  lib.handle = h;
  lib.create3 = reinterpret_cast<Create3>(dlsym(h, kCreate3));
  lib.create4 = reinterpret_cast<Create4>(dlsym(h, kCreate4));
  lib.version = reinterpret_cast<VersionFn>(dlsym(h, kVersion));
  if (lib.create3 == nullptr && lib.create4 == nullptr) {
    *error = path + " exports no CThostFtdcMdApi::CreateFtdcMdApi (neither " + kCreate3 + " nor " + kCreate4 +
             "): it is not a CTP market-data library (thostmduserapi_se.so)";
    dlclose(h);
    return false;
  }
  gLibraries[path] = lib;
  *out = lib;
  return true;
}

std::string Text(const char *p, size_t cap) { return std::string(p, strnlen(p, cap)); }

// The fields handed to JavaScript, by kind. Names are CTP's.
#define CTP_DOUBLE_FIELDS(X)                                                                                                   \
  X(LastPrice) X(PreSettlementPrice) X(PreClosePrice) X(PreOpenInterest) X(OpenPrice) X(HighestPrice) X(LowestPrice)          \
  X(Turnover) X(OpenInterest) X(ClosePrice) X(SettlementPrice) X(UpperLimitPrice) X(LowerLimitPrice) X(PreDelta) X(CurrDelta) \
  X(BidPrice1) X(AskPrice1) X(BidPrice2) X(AskPrice2) X(BidPrice3) X(AskPrice3) X(BidPrice4) X(AskPrice4) X(BidPrice5)        \
  X(AskPrice5) X(AveragePrice)
#define CTP_INT_FIELDS(X)                                                                                                   \
  X(Volume) X(UpdateMillisec) X(BidVolume1) X(AskVolume1) X(BidVolume2) X(AskVolume2) X(BidVolume3) X(AskVolume3) X(BidVolume4) \
  X(AskVolume4) X(BidVolume5) X(AskVolume5)
#define CTP_TEXT_FIELDS(X) X(TradingDay) X(ActionDay) X(UpdateTime) X(ExchangeID) X(InstrumentID) X(ExchangeInstID)
#define CTP_NAME(f) #f,

const char *const kFieldNames[] = {CTP_DOUBLE_FIELDS(CTP_NAME) CTP_INT_FIELDS(CTP_NAME) CTP_TEXT_FIELDS(CTP_NAME)};
constexpr size_t kFieldCount = sizeof(kFieldNames) / sizeof(kFieldNames[0]);

enum class EventKind { Connected, Disconnected, HeartBeat, Login, Logout, Sub, Unsub, Error };

struct Event {
  explicit Event(EventKind k) : kind(k) {}
  EventKind kind;
  int code = 0;  // disconnect reason, heartbeat lapse, or ErrorID
  int requestId = 0;
  bool isLast = false;
  std::string message;  // ErrorMsg, raw GBK bytes
  std::string instrument;
  std::string tradingDay;
};

/** Compiles (a0, ..., aN) => ({ Field0: a0, ... }) once: V8 creates such literals from one boilerplate. */
Napi::FunctionReference MakeFactory(Napi::Env env) {
  std::string params, body;
  for (size_t i = 0; i < kFieldCount; i++) {
    params += (i ? ",a" : "a") + std::to_string(i);
    body += std::string(i ? "," : "") + kFieldNames[i] + ":a" + std::to_string(i);
  }
  std::string src = "(function tickObject(" + params + "){return {" + body + "};})";
  napi_value script, fn;
  if (napi_create_string_utf8(env, src.c_str(), src.size(), &script) != napi_ok || napi_run_script(env, script, &fn) != napi_ok) {
    return Napi::FunctionReference();
  }
  return Napi::Persistent(Napi::Function(env, fn));
}

class Session;
void CallEvent(Napi::Env env, Napi::Function fn, Session *s, Event *e);
void CallTick(Napi::Env env, Napi::Function fn, Session *s, Field *f);
void Finalized(Napi::Env env, void *, Session *s);
using EventTsfn = Napi::TypedThreadSafeFunction<Session, Event, CallEvent>;
using TickTsfn = Napi::TypedThreadSafeFunction<Session, Field, CallTick>;

class Spi;

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MdSession",
                       {
                           InstanceMethod<&Session::Init>("init"),
                           InstanceMethod<&Session::Login>("login"),
                           InstanceMethod<&Session::Subscribe>("subscribe"),
                           InstanceMethod<&Session::Unsubscribe>("unsubscribe"),
                           InstanceMethod<&Session::TradingDay>("tradingDay"),
                           InstanceMethod<&Session::Stats>("stats"),
                           InstanceMethod<&Session::Release>("release"),
                       });
  }

  // new MdSession({ library, flowDir, fronts, generation: 0|3|4, queueMax, udp, multicast, productionMode }, onEvent, onTick)
  explicit Session(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsFunction() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "MdSession(options, onEvent, onTick)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value lib = o.Get("library"), flow = o.Get("flowDir"), fronts = o.Get("fronts");
    if (!lib.IsString() || !flow.IsString() || !fronts.IsArray()) {
      Napi::TypeError::New(env, "MdSession: options.library and options.flowDir must be strings, options.fronts an array")
          .ThrowAsJavaScriptException();
      return;
    }
    library_ = lib.As<Napi::String>().Utf8Value();
    flowDir_ = flow.As<Napi::String>().Utf8Value();
    Napi::Array fa = fronts.As<Napi::Array>();
    for (uint32_t i = 0; i < fa.Length(); i++) {
      Napi::Value v = fa.Get(i);
      if (!v.IsString()) {
        Napi::TypeError::New(env, "MdSession: options.fronts must hold strings").ThrowAsJavaScriptException();
        return;
      }
      fronts_.push_back(v.As<Napi::String>().Utf8Value());
    }
    if (fronts_.empty()) {
      Napi::TypeError::New(env, "MdSession: options.fronts is empty").ThrowAsJavaScriptException();
      return;
    }
    int generation = NumberOr(o.Get("generation"), 0);
    double qmax = o.Get("queueMax").IsNumber() ? o.Get("queueMax").As<Napi::Number>().DoubleValue() : 65536;
    if (!(qmax >= 1 && qmax <= 16777216)) {
      Napi::RangeError::New(env, "MdSession: options.queueMax must be in 1..16777216").ThrowAsJavaScriptException();
      return;
    }
    queueMax_ = static_cast<size_t>(qmax);
    udp_ = BoolOr(o.Get("udp"), false);
    multicast_ = BoolOr(o.Get("multicast"), false);
    production_ = BoolOr(o.Get("productionMode"), true);

    std::string error;
    if (!OpenLibrary(library_, &lib_, &error)) {
      Napi::Error::New(env, error).ThrowAsJavaScriptException();
      return;
    }
    if (generation == 3 && lib_.create3 == nullptr) {
      Napi::Error::New(env, library_ + " has only the 4-parameter CreateFtdcMdApi (CTP 6.7 or later); api_generation 3 cannot be used with it: set api_generation to 4 or auto")
          .ThrowAsJavaScriptException();
      return;
    }
    if (generation == 4 && lib_.create4 == nullptr) {
      Napi::Error::New(env, library_ + " has only the 3-parameter CreateFtdcMdApi (CTP 6.6 or earlier); api_generation 4 cannot be used with it: set api_generation to 3 or auto")
          .ThrowAsJavaScriptException();
      return;
    }
    if (generation != 0 && generation != 3 && generation != 4) {
      Napi::RangeError::New(env, "MdSession: options.generation must be 0 (auto), 3 or 4").ThrowAsJavaScriptException();
      return;
    }
    generation_ = generation != 0 ? generation : (lib_.create4 != nullptr ? 4 : 3);
    onEvent_ = Napi::Persistent(info[1].As<Napi::Function>());
    onTick_ = Napi::Persistent(info[2].As<Napi::Function>());
  }

  ~Session() override;

  // ---- API thread ----------------------------------------------------------------

  void PostEvent(Event *e) {
    inflight_.fetch_add(1);
    if (!closed_.load()) {
      if (events_.NonBlockingCall(e) == napi_ok) e = nullptr;
      else eventsDropped_.fetch_add(1);
    }
    inflight_.fetch_sub(1);
    delete e;
  }

  void PostTick(const Field &f) {
    inflight_.fetch_add(1);
    if (!closed_.load()) {
      Field *copy = new (std::nothrow) Field(f);
      if (copy == nullptr) {
        overflow_.fetch_add(1);
      } else {
        pending_.fetch_add(1);
        if (ticks_.NonBlockingCall(copy) != napi_ok) {
          pending_.fetch_sub(1);
          delete copy;
          overflow_.fetch_add(1);
        }
      }
    }
    inflight_.fetch_sub(1);
  }

  // ---- JS thread -----------------------------------------------------------------

  Napi::Value Init(const Napi::CallbackInfo &info);

  Napi::Value Login(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() || !info[3].IsNumber()) {
      Napi::TypeError::New(env, "login(brokerId, userId, password, requestId)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (api_ == nullptr) return Napi::Number::New(env, -1);
    CThostFtdcReqUserLoginField req;
    std::memset(&req, 0, sizeof req);
    Copy(req.BrokerID, sizeof req.BrokerID, info[0].As<Napi::String>().Utf8Value());
    Copy(req.UserID, sizeof req.UserID, info[1].As<Napi::String>().Utf8Value());
    {
      std::string pw = info[2].As<Napi::String>().Utf8Value();
      Copy(req.Password, sizeof req.Password, pw);
      Scrub(&pw[0], pw.size());
    }
    Copy(req.UserProductInfo, sizeof req.UserProductInfo, "tickrec");
    int rc = api_->ReqUserLogin(&req, info[3].As<Napi::Number>().Int32Value());
    Scrub(req.Password, sizeof req.Password);
    return Napi::Number::New(env, rc);
  }

  Napi::Value Subscribe(const Napi::CallbackInfo &info) { return Ids(info, false); }
  Napi::Value Unsubscribe(const Napi::CallbackInfo &info) { return Ids(info, true); }

  Napi::Value TradingDay(const Napi::CallbackInfo &info) {
    if (api_ == nullptr) return Napi::String::New(info.Env(), "");
    const char *d = api_->GetTradingDay();
    return Napi::String::New(info.Env(), d != nullptr ? Text(d, 9) : "");
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("pending", Napi::Number::New(env, static_cast<double>(pending_.load())));
    o.Set("overflow", Napi::Number::New(env, static_cast<double>(overflow_.load())));
    o.Set("delivered", Napi::Number::New(env, static_cast<double>(delivered_)));
    o.Set("eventsDropped", Napi::Number::New(env, static_cast<double>(eventsDropped_.load())));
    o.Set("callbackErrors", Napi::Number::New(env, static_cast<double>(callbackErrors_)));
    o.Set("queueMax", Napi::Number::New(env, static_cast<double>(queueMax_)));
    o.Set("generation", Napi::Number::New(env, generation_));
    o.Set("apiVersion", Napi::String::New(env, lib_.version != nullptr && lib_.version() != nullptr ? lib_.version() : ""));
    o.Set("started", Napi::Boolean::New(env, started_));
    o.Set("released", Napi::Boolean::New(env, released_));
    return o;
  }

  Napi::Value Release(const Napi::CallbackInfo &info) {
    ReleaseApi();
    return info.Env().Undefined();
  }

  void ReleaseApi();
  void ShutdownApi();
  static void EnvCleanup(void *arg);

  void Delivered(Napi::Env env, Field *f) {
    pending_.fetch_sub(1);
    if (env == nullptr || released_) return;
    delivered_++;
    // One call of a compiled object-literal factory (see MakeFactory) is several times
    // faster than setting kFieldCount named properties one by one.
    napi_value argv[kFieldCount];
    size_t k = 0;
#define CTP_ARG_DOUBLE(name) napi_create_double(env, f->name, &argv[k++]);
#define CTP_ARG_INT(name) napi_create_int32(env, f->name, &argv[k++]);
#define CTP_ARG_TEXT(name) napi_create_string_utf8(env, f->name, strnlen(f->name, sizeof f->name), &argv[k++]);
    CTP_DOUBLE_FIELDS(CTP_ARG_DOUBLE)
    CTP_INT_FIELDS(CTP_ARG_INT)
    CTP_TEXT_FIELDS(CTP_ARG_TEXT)
    napi_value obj;
    if (factory_.IsEmpty()) {
      napi_create_object(env, &obj);
      for (size_t i = 0; i < kFieldCount; i++) napi_set_named_property(env, obj, kFieldNames[i], argv[i]);
    } else {
      napi_value undefined;
      napi_get_undefined(env, &undefined);
      napi_value factory;
      if (napi_get_reference_value(env, factory_, &factory) != napi_ok ||
          napi_call_function(env, undefined, factory, kFieldCount, argv, &obj) != napi_ok) {
        callbackErrors_++;
        bool pending = false;
        napi_value error;
        napi_is_exception_pending(env, &pending);
        if (pending) napi_get_and_clear_last_exception(env, &error);
        return;
      }
    }
    Call(env, tickFn_, obj);
  }

  // The callback paths below use plain napi_* calls and ignore failures: while an
  // environment terminates (a worker ending) a thread-safe function may still call in,
  // every napi call then fails, and node-addon-api's wrappers would abort the process.
  void EventArrived(Napi::Env env, Event *e) {
    if (env == nullptr || released_) return;
    static const char *const kinds[] = {"connected", "disconnected", "heartbeat", "login", "logout", "sub", "unsub", "error"};
    napi_value o;
    if (napi_create_object(env, &o) != napi_ok) return;
    PutText(env, o, "type", kinds[static_cast<int>(e->kind)]);
    switch (e->kind) {
      case EventKind::Connected:
        break;
      case EventKind::Disconnected:
        PutInt(env, o, "reason", e->code);
        break;
      case EventKind::HeartBeat:
        PutInt(env, o, "lapse", e->code);
        break;
      default: {
        PutInt(env, o, "errorId", e->code);
        napi_value buf;
        if (napi_create_buffer_copy(env, e->message.size(), e->message.data(), nullptr, &buf) == napi_ok) napi_set_named_property(env, o, "errorMsg", buf);
        PutInt(env, o, "requestId", e->requestId);
        napi_value last;
        if (napi_get_boolean(env, e->isLast, &last) == napi_ok) napi_set_named_property(env, o, "isLast", last);
        if (e->kind == EventKind::Login) PutText(env, o, "tradingDay", e->tradingDay);
        if (e->kind == EventKind::Sub || e->kind == EventKind::Unsub) PutText(env, o, "instrument", e->instrument);
      }
    }
    Call(env, eventFn_, o);
  }

  void TsfnFinalized() {
    if (--liveTsfns_ == 0) Unref();  // the JS object may be collected from now on
  }

 private:
  void Call(napi_env env, napi_value fn, napi_value arg) {
    napi_value global, result, error;
    bool pending = false;
    if (napi_get_global(env, &global) != napi_ok) return;
    napi_status st = napi_call_function(env, global, fn, 1, &arg, &result);
    napi_is_exception_pending(env, &pending);
    if (st != napi_ok || pending) {
      callbackErrors_++;
      if (pending) napi_get_and_clear_last_exception(env, &error);  // the JS side catches; never let one escape here
    }
  }

  static void PutInt(napi_env env, napi_value o, const char *key, int v) {
    napi_value x;
    if (napi_create_int32(env, v, &x) == napi_ok) napi_set_named_property(env, o, key, x);
  }
  static void PutText(napi_env env, napi_value o, const char *key, const std::string &v) {
    napi_value x;
    if (napi_create_string_utf8(env, v.data(), v.size(), &x) == napi_ok) napi_set_named_property(env, o, key, x);
  }

  Napi::Value Ids(const Napi::CallbackInfo &info, bool unsubscribe) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) {
      Napi::TypeError::New(env, "subscribe(ids: string[])").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (api_ == nullptr) return Napi::Number::New(env, -1);
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<std::string> ids;
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsString()) {
        Napi::TypeError::New(env, "subscribe: ids must be strings").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      ids.push_back(v.As<Napi::String>().Utf8Value());
    }
    std::vector<char *> ptrs;
    for (std::string &s : ids) ptrs.push_back(&s[0]);
    int n = static_cast<int>(ptrs.size());
    int rc = unsubscribe ? api_->UnSubscribeMarketData(ptrs.data(), n) : api_->SubscribeMarketData(ptrs.data(), n);
    return Napi::Number::New(env, rc);
  }

  static int NumberOr(Napi::Value v, int def) { return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : def; }
  static bool BoolOr(Napi::Value v, bool def) { return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def; }
  static void Copy(char *dst, size_t cap, const std::string &src) {
    std::memset(dst, 0, cap);
    std::memcpy(dst, src.data(), src.size() < cap - 1 ? src.size() : cap - 1);
  }
  static void Scrub(char *p, size_t n) {
    volatile char *v = p;
    for (size_t i = 0; i < n; i++) v[i] = 0;
  }

  std::string library_;
  std::string flowDir_;
  std::vector<std::string> fronts_;
  size_t queueMax_ = 65536;
  bool udp_ = false;
  bool multicast_ = false;
  bool production_ = true;
  int generation_ = 0;
  Library lib_;
  Napi::FunctionReference onEvent_;
  Napi::FunctionReference onTick_;
  Napi::FunctionReference factory_;  // (a0..aN) => ({ LastPrice: a0, ... }), built in Init
  napi_value eventFn_ = nullptr;  // valid only inside a thread-safe function's call
  napi_value tickFn_ = nullptr;

  napi_env env_ = nullptr;
  CThostFtdcMdApi *api_ = nullptr;
  Spi *spi_ = nullptr;
  EventTsfn events_;
  TickTsfn ticks_;
  bool started_ = false;
  bool released_ = false;
  int liveTsfns_ = 0;
  uint64_t delivered_ = 0;
  uint64_t callbackErrors_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<int> inflight_{0};
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> overflow_{0};
  std::atomic<uint64_t> eventsDropped_{0};

  friend void CallEvent(Napi::Env, Napi::Function, Session *, Event *);
  friend void CallTick(Napi::Env, Napi::Function, Session *, Field *);
};

class Spi final : public CThostFtdcMdSpi {
 public:
  explicit Spi(Session *s) : s_(s) {}

  void OnFrontConnected() override { Post(new Event(EventKind::Connected)); }
  void OnFrontDisconnected(int nReason) override {
    Event *e = new Event(EventKind::Disconnected);
    e->code = nReason;
    Post(e);
  }
  void OnHeartBeatWarning(int nTimeLapse) override {
    Event *e = new Event(EventKind::HeartBeat);
    e->code = nTimeLapse;
    Post(e);
  }
  void OnRspUserLogin(CThostFtdcRspUserLoginField *p, CThostFtdcRspInfoField *info, int id, bool last) override {
    Event *e = Response(EventKind::Login, info, id, last);
    if (p != nullptr) e->tradingDay = Text(p->TradingDay, sizeof p->TradingDay);
    Post(e);
  }
  void OnRspUserLogout(CThostFtdcUserLogoutField *, CThostFtdcRspInfoField *info, int id, bool last) override {
    Post(Response(EventKind::Logout, info, id, last));
  }
  void OnRspError(CThostFtdcRspInfoField *info, int id, bool last) override { Post(Response(EventKind::Error, info, id, last)); }
  void OnRspSubMarketData(CThostFtdcSpecificInstrumentField *p, CThostFtdcRspInfoField *info, int id, bool last) override {
    Event *e = Response(EventKind::Sub, info, id, last);
    if (p != nullptr) e->instrument = Text(p->InstrumentID, sizeof p->InstrumentID);
    Post(e);
  }
  void OnRspUnSubMarketData(CThostFtdcSpecificInstrumentField *p, CThostFtdcRspInfoField *info, int id, bool last) override {
    Event *e = Response(EventKind::Unsub, info, id, last);
    if (p != nullptr) e->instrument = Text(p->InstrumentID, sizeof p->InstrumentID);
    Post(e);
  }
  void OnRtnDepthMarketData(CThostFtdcDepthMarketDataField *p) override {
    if (p != nullptr) s_->PostTick(*p);
  }

 private:
  static Event *Response(EventKind kind, CThostFtdcRspInfoField *info, int id, bool last) {
    Event *e = new Event(kind);
    e->requestId = id;
    e->isLast = last;
    if (info != nullptr) {
      e->code = info->ErrorID;
      e->message = Text(info->ErrorMsg, sizeof info->ErrorMsg);
    }
    return e;
  }
  void Post(Event *e) { s_->PostEvent(e); }

  Session *s_;
};

Session::~Session() {
  // Only reachable once released (a started session holds a strong reference until its
  // thread-safe functions are finalized) or never started.
  delete spi_;
}

void Session::ShutdownApi() {
  closed_.store(true);  // from here on the SPI queues nothing
  if (api_ != nullptr) {
    api_->RegisterSpi(nullptr);
    api_->Release();  // joins the API's threads
    api_ = nullptr;
  }
  while (inflight_.load() != 0) std::this_thread::yield();  // an SPI call that passed the check above
  delete spi_;
  spi_ = nullptr;
}

void Session::ReleaseApi() {
  if (released_) return;
  released_ = true;
  onEvent_.Reset();
  onTick_.Reset();
  factory_.Reset();
  if (!started_) return;
  napi_remove_env_cleanup_hook(env_, EnvCleanup, this);
  ShutdownApi();
  events_.Release();
  ticks_.Release();
}

// The environment is going away (a worker thread ends) with the session still running:
// stop the API's threads before the thread-safe functions are torn down by their own
// cleanup hooks (registered earlier, so they run after this one).
void Session::EnvCleanup(void *arg) {
  Session *s = static_cast<Session *>(arg);
  if (s->released_) return;
  s->released_ = true;
  s->ShutdownApi();
}

Napi::Value Session::Init(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (started_ || released_) {
    Napi::Error::New(env, "MdSession.init(): already started or released").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  api_ = generation_ == 4 ? lib_.create4(flowDir_.c_str(), udp_, multicast_, production_) : lib_.create3(flowDir_.c_str(), udp_, multicast_);
  if (api_ == nullptr) {
    Napi::Error::New(env, "CThostFtdcMdApi::CreateFtdcMdApi returned null (flow folder " + flowDir_ + ")").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  factory_ = MakeFactory(env);
  if (factory_.IsEmpty() && env.IsExceptionPending()) env.GetAndClearPendingException();  // e.g. --disallow-code-generation-from-strings: the slow path
  spi_ = new Spi(this);
  api_->RegisterSpi(spi_);
  for (std::string &f : fronts_) api_->RegisterFront(&f[0]);
  events_ = EventTsfn::New(env, onEvent_.Value(), "tickrec-ctp-events", 0, 1, this, Finalized, static_cast<void *>(nullptr));
  ticks_ = TickTsfn::New(env, onTick_.Value(), "tickrec-ctp-ticks", queueMax_, 1, this, Finalized, static_cast<void *>(nullptr));
  liveTsfns_ = 2;
  env_ = env;
  napi_add_env_cleanup_hook(env, EnvCleanup, this);
  Ref();  // kept alive while the API may call back
  started_ = true;
  api_->Init();
  return env.Undefined();
}

void CallEvent(Napi::Env env, Napi::Function fn, Session *s, Event *e) {
  std::unique_ptr<Event> own(e);
  if (env == nullptr) return;
  s->eventFn_ = fn;
  s->EventArrived(env, e);
}

void CallTick(Napi::Env env, Napi::Function fn, Session *s, Field *f) {
  std::unique_ptr<Field> own(f);
  if (env != nullptr) s->tickFn_ = fn;
  s->Delivered(env, f);
}

void Finalized(Napi::Env, void *, Session *s) { s->TsfnFinalized(); }

// probe(library) → { generations: number[], apiVersion: string }; throws when it cannot be loaded.
Napi::Value Probe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "probe(libraryPath)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Library lib;
  std::string error;
  if (!OpenLibrary(info[0].As<Napi::String>().Utf8Value(), &lib, &error)) {
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array gens = Napi::Array::New(env);
  uint32_t n = 0;
  if (lib.create3 != nullptr) gens.Set(n++, 3);
  if (lib.create4 != nullptr) gens.Set(n++, 4);
  Napi::Object o = Napi::Object::New(env);
  o.Set("generations", gens);
  const char *v = lib.version != nullptr ? lib.version() : nullptr;
  o.Set("apiVersion", v != nullptr ? v : "");
  return o;
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("MdSession", Session::Define(env));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("abi", kAbi);
  exports.Set("depthFieldBytes", static_cast<double>(sizeof(Field)));
  Napi::Array names = Napi::Array::New(env, kFieldCount);
  for (uint32_t i = 0; i < kFieldCount; i++) names.Set(i, kFieldNames[i]);
  exports.Set("fieldNames", names);
  return exports;
}

}  // namespace

NODE_API_MODULE(tickrec_ctp, InitModule)
