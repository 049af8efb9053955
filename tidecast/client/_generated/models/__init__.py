"""Contains all the data models used in inputs/outputs"""

from .balance import Balance
from .billing_config_response_200 import BillingConfigResponse200
from .billing_offer import BillingOffer
from .channel import Channel
from .checkout_body import CheckoutBody
from .checkout_started import CheckoutStarted
from .claims import Claims
from .config import Config
from .creator import Creator
from .credit_balance_response_200 import CreditBalanceResponse200
from .credit_history_response_200 import CreditHistoryResponse200
from .credit_playback import CreditPlayback
from .credit_playback_ref import CreditPlaybackRef
from .delete_stream_response_200 import DeleteStreamResponse200
from .deleted import Deleted
from .domain_712 import Domain712
from .email_body import EmailBody
from .error_400 import Error400
from .error_401 import Error401
from .error_402 import Error402
from .error_403 import Error403
from .error_404 import Error404
from .error_408 import Error408
from .error_409 import Error409
from .error_412 import Error412
from .error_413 import Error413
from .error_415 import Error415
from .error_429 import Error429
from .error_500 import Error500
from .error_503 import Error503
from .error_504 import Error504
from .forgot_password_response_202 import ForgotPasswordResponse202
from .gas import Gas
from .get_creator_response_200 import GetCreatorResponse200
from .get_payment_stream_response_200 import GetPaymentStreamResponse200
from .get_position_response_200 import GetPositionResponse200
from .get_stream_response_200 import GetStreamResponse200
from .history_page import HistoryPage
from .ledger_row import LedgerRow
from .list_streams_response_200 import ListStreamsResponse200
from .list_streams_sort import ListStreamsSort
from .login import Login
from .login_body import LoginBody
from .me import Me
from .me_response_200 import MeResponse200
from .mine import Mine
from .my_payments_response_200 import MyPaymentsResponse200
from .native_currency import NativeCurrency
from .network import Network
from .no_body import NoBody
from .nonce import Nonce
from .nonce_body import NonceBody
from .nonce_body_purpose import NonceBodyPurpose
from .nonce_purpose import NoncePurpose
from .notice import Notice
from .openapi_response_200 import OpenapiResponse200
from .patch_body import PatchBody
from .patch_stream_response_200 import PatchStreamResponse200
from .payment_config_response_200 import PaymentConfigResponse200
from .payment_domain import PaymentDomain
from .payment_domain_response_200 import PaymentDomainResponse200
from .payment_domain_types import PaymentDomainTypes
from .payment_status_response_200 import PaymentStatusResponse200
from .payment_stream import PaymentStream
from .playback import Playback
from .playback_body import PlaybackBody
from .playback_payment import PlaybackPayment
from .position import Position
from .position_body import PositionBody
from .public_user import PublicUser
from .register_body import RegisterBody
from .register_response_202 import RegisterResponse202
from .registered import Registered
from .resend_verification_response_202 import ResendVerificationResponse202
from .reset_body import ResetBody
from .reset_password_response_200 import ResetPasswordResponse200
from .save_position_response_200 import SavePositionResponse200
from .signed_body import SignedBody
from .start_checkout_response_201 import StartCheckoutResponse201
from .start_playback_response_200 import StartPlaybackResponse200
from .status import Status
from .status_body import StatusBody
from .status_filter import StatusFilter
from .stop_body import StopBody
from .stop_credit_playback_response_200 import StopCreditPlaybackResponse200
from .stream import Stream
from .stream_page import StreamPage
from .stream_status import StreamStatus
from .stripe_webhook_body import StripeWebhookBody
from .stripe_webhook_response_200 import StripeWebhookResponse200
from .token_body import TokenBody
from .token_info import TokenInfo
from .tus_resumable import TusResumable
from .typed_field import TypedField
from .unsubscribe_response_200 import UnsubscribeResponse200
from .unsubscribed import Unsubscribed
from .user import User
from .variant import Variant
from .verify_body import VerifyBody
from .verify_email_response_200 import VerifyEmailResponse200
from .verify_token_response_200 import VerifyTokenResponse200
from .video_earnings import VideoEarnings
from .video_ref import VideoRef
from .wallet import Wallet
from .wallet_link_response_200 import WalletLinkResponse200
from .wallet_nonce_response_201 import WalletNonceResponse201
from .wallet_unlink_response_200 import WalletUnlinkResponse200
from .webhook_received import WebhookReceived

__all__ = (
    "Balance",
    "BillingConfigResponse200",
    "BillingOffer",
    "Channel",
    "CheckoutBody",
    "CheckoutStarted",
    "Claims",
    "Config",
    "Creator",
    "CreditBalanceResponse200",
    "CreditHistoryResponse200",
    "CreditPlayback",
    "CreditPlaybackRef",
    "DeleteStreamResponse200",
    "Deleted",
    "Domain712",
    "EmailBody",
    "Error400",
    "Error401",
    "Error402",
    "Error403",
    "Error404",
    "Error408",
    "Error409",
    "Error412",
    "Error413",
    "Error415",
    "Error429",
    "Error500",
    "Error503",
    "Error504",
    "ForgotPasswordResponse202",
    "Gas",
    "GetCreatorResponse200",
    "GetPaymentStreamResponse200",
    "GetPositionResponse200",
    "GetStreamResponse200",
    "HistoryPage",
    "LedgerRow",
    "ListStreamsResponse200",
    "ListStreamsSort",
    "Login",
    "LoginBody",
    "Me",
    "MeResponse200",
    "Mine",
    "MyPaymentsResponse200",
    "NativeCurrency",
    "Network",
    "NoBody",
    "Nonce",
    "NonceBody",
    "NonceBodyPurpose",
    "NoncePurpose",
    "Notice",
    "OpenapiResponse200",
    "PatchBody",
    "PatchStreamResponse200",
    "PaymentConfigResponse200",
    "PaymentDomain",
    "PaymentDomainResponse200",
    "PaymentDomainTypes",
    "PaymentStatusResponse200",
    "PaymentStream",
    "Playback",
    "PlaybackBody",
    "PlaybackPayment",
    "Position",
    "PositionBody",
    "PublicUser",
    "RegisterBody",
    "RegisterResponse202",
    "Registered",
    "ResendVerificationResponse202",
    "ResetBody",
    "ResetPasswordResponse200",
    "SavePositionResponse200",
    "SignedBody",
    "StartCheckoutResponse201",
    "StartPlaybackResponse200",
    "Status",
    "StatusBody",
    "StatusFilter",
    "StopBody",
    "StopCreditPlaybackResponse200",
    "Stream",
    "StreamPage",
    "StreamStatus",
    "StripeWebhookBody",
    "StripeWebhookResponse200",
    "TokenBody",
    "TokenInfo",
    "TusResumable",
    "TypedField",
    "UnsubscribeResponse200",
    "Unsubscribed",
    "User",
    "Variant",
    "VerifyBody",
    "VerifyEmailResponse200",
    "VerifyTokenResponse200",
    "VideoEarnings",
    "VideoRef",
    "Wallet",
    "WalletLinkResponse200",
    "WalletNonceResponse201",
    "WalletUnlinkResponse200",
    "WebhookReceived",
)
