#include "proto/jute/errors.h"

namespace caucus::jute {

const char* ErrorName(Error e) {
  switch (e) {
    case Error::kOk: return "OK";
    case Error::kSystemError: return "SYSTEMERROR";
    case Error::kRuntimeInconsistency: return "RUNTIMEINCONSISTENCY";
    case Error::kDataInconsistency: return "DATAINCONSISTENCY";
    case Error::kConnectionLoss: return "CONNECTIONLOSS";
    case Error::kMarshallingError: return "MARSHALLINGERROR";
    case Error::kUnimplemented: return "UNIMPLEMENTED";
    case Error::kOperationTimeout: return "OPERATIONTIMEOUT";
    case Error::kBadArguments: return "BADARGUMENTS";
    case Error::kUnknownSession: return "UNKNOWNSESSION";
    case Error::kNewConfigNoQuorum: return "NEWCONFIGNOQUORUM";
    case Error::kReconfigInProgress: return "RECONFIGINPROGRESS";
    case Error::kApiError: return "APIERROR";
    case Error::kNoNode: return "NONODE";
    case Error::kNoAuth: return "NOAUTH";
    case Error::kBadVersion: return "BADVERSION";
    case Error::kNoChildrenForEphemerals: return "NOCHILDRENFOREPHEMERALS";
    case Error::kNodeExists: return "NODEEXISTS";
    case Error::kNotEmpty: return "NOTEMPTY";
    case Error::kSessionExpired: return "SESSIONEXPIRED";
    case Error::kInvalidCallback: return "INVALIDCALLBACK";
    case Error::kInvalidACL: return "INVALIDACL";
    case Error::kAuthFailed: return "AUTHFAILED";
    case Error::kSessionMoved: return "SESSIONMOVED";
    case Error::kNotReadOnly: return "NOTREADONLY";
    case Error::kEphemeralOnLocalSession: return "EPHEMERALONLOCALSESSION";
    case Error::kNoWatcher: return "NOWATCHER";
    case Error::kRequestTimeout: return "REQUESTTIMEOUT";
    case Error::kReconfigDisabled: return "RECONFIGDISABLED";
    case Error::kSessionClosedRequireSaslAuth: return "SESSIONCLOSEDREQUIRESASLAUTH";
    case Error::kQuotaExceeded: return "QUOTAEXCEEDED";
    case Error::kThrottledOp: return "THROTTLEDOP";
  }
  return "UNKNOWN";
}

}  // namespace caucus::jute
