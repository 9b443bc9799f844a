"""SQLModel tables and wire schemas. Importing this package registers every table on
``SQLModel.metadata`` (Alembic's target)."""

from vault_server.models.accounts import (  # noqa: F401
    Account,
    AccountCreate,
    AccountEnvelope,
    AccountPublic,
    Bundle,
    BundlePublic,
    DeviceSession,
    DeviceSessionList,
    DeviceSessionPublic,
    KdfParams,
    LoginPublic,
    LoginRequest,
    LoginThrottle,
    PasswordChange,
    PreloginPublic,
    PreloginRequest,
    RegisterPublic,
    ServerSecret,
    SessionToken,
)
from vault_server.models.vaults import (  # noqa: F401
    ChangeBatch,
    ChangeResult,
    ConflictState,
    Item,
    ItemChange,
    ItemPublic,
    ItemSyncPublic,
    ManifestPublic,
    Role,
    SyncPublic,
    SyncRequest,
    Vault,
    VaultCreate,
    VaultList,
    VaultMember,
    VaultPublic,
    VaultSyncPublic,
)
from vault_server.models.vaults import PendingGrantPublic  # noqa: F401
from vault_server.models.sharing import (  # noqa: F401
    AcceptPublic,
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationList,
    InvitationPublic,
    MemberList,
    MemberPublic,
    PendingInvitationPublic,
    RotateGrant,
    RotateRequest,
    RotateResult,
    VaultKeyUpdate,
)
from vault_server.models.recovery import (  # noqa: F401
    AccountIdPublic,
    EmailRequest,
    RecoveryComplete,
    RecoveryCompletePublic,
    RecoveryFetch,
    RecoveryFetchPublic,
    RecoverySet,
    ResetComplete,
    ResetPreviewPublic,
    ResetPreviewRequest,
    ResetPublic,
    ResetToken,
    SharedVaultPublic,
)
from vault_server.models.attachments import Attachment, AttachmentPublic  # noqa: F401
from sqlmodel import SQLModel  # noqa: E402

metadata = SQLModel.metadata
