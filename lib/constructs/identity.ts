import { CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { AccountRecovery, Mfa, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { issuerUrlProblem } from '../../lambdas/domain/tokens';
import { acknowledge } from '../nag-acknowledgements';

/** Where tokens come from and how the authorizer checks them. */
export interface TokenIssuer {
  /** The `iss` claim every accepted token carries. */
  readonly issuerUrl: string;
  /** Where the issuer publishes its RS256 signing keys. */
  readonly jwksUri: string;
  /** The `aud` claim every accepted token carries. */
  readonly audience: string;
}

export interface IdentityProps {
  /**
   * Accept tokens from this issuer instead of the stack's Cognito user pool.
   * The user pool is created either way, so a deployment can switch without replacing it.
   * @default the user pool's ID tokens
   */
  readonly externalTokenIssuer?: TokenIssuer;
}

/**
 * How long the app client's ID and access tokens are valid. A connection closes when its token
 * expires unless the client renews it in-band (`renewToken`), and a user who is disabled or signed
 * out globally can get no new token: so this, plus the minute the stale-connection sweep may take,
 * bounds how long such a user's sockets stay open. Cognito allows 5 minutes to 1 day.
 */
export const ID_TOKEN_VALIDITY = Duration.minutes(10);

/**
 * Why a token issuer URL is not acceptable, or undefined when it is (lambdas/domain/tokens.ts has
 * the rule, which the functions apply again at cold start).
 */
export function insecureIssuerUrlProblem(url: string): string | undefined {
  if (Token.isUnresolved(url)) return undefined; // The user pool's own URLs, https by construction.
  return issuerUrlProblem(url);
}

/** The user directory: a Cognito user pool whose ID tokens open WebSocket connections. */
export class Identity extends Construct {
  public readonly userPool: UserPool;
  public readonly userPoolClient: UserPoolClient;
  /** The issuer the authorizer trusts. */
  public readonly tokenIssuer: TokenIssuer;

  constructor(scope: Construct, id: string, props: IdentityProps = {}) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      // Offered, not imposed: an authenticator app as second factor.
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
    });
    acknowledge(
      this.userPool,
      'AwsSolutions-COG2',
      'Users are people signing in to a chat app; MFA is offered (authenticator app) but requiring it of everyone is a product decision the protocol does not make.',
    );
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      "Threat protection (the Plus feature plan) is billed per user; an operator turns it on for the deployment, it is not the app's to impose.",
    );
    // Sign-in is SRP only (the refresh-token flow, which renewal uses, is always on); no hosted UI,
    // so no OAuth flows, callback URLs or scopes (CDK's defaults would enable implicit and code
    // grants to https://example.com with every scope, aws.cognito.signin.user.admin included).
    this.userPoolClient = this.userPool.addClient('MessengerClient', {
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      idTokenValidity: ID_TOKEN_VALIDITY,
      accessTokenValidity: ID_TOKEN_VALIDITY,
      enableTokenRevocation: true,
    });

    const { region, urlSuffix } = Stack.of(this);
    const poolIssuerUrl = `https://cognito-idp.${region}.${urlSuffix}/${this.userPool.userPoolId}`;
    this.tokenIssuer = props.externalTokenIssuer ?? {
      issuerUrl: poolIssuerUrl,
      jwksUri: `${poolIssuerUrl}/.well-known/jwks.json`,
      audience: this.userPoolClient.userPoolClientId,
    };

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
  }
}
