package dev.breakwater.server.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in a client's pipeline: when the first bytes are a TLS handshake rather than a startup
 * packet (PostgreSQL 17's {@code sslnegotiation=direct}), puts TLS in place and insists on the
 * ALPN protocol "postgresql", as PostgreSQL does; otherwise steps aside.
 */
public final class DirectTls extends OptionalSslHandler {

  private static final Logger log = LoggerFactory.getLogger(DirectTls.class);

  public DirectTls(SslContext context) {
    super(context);
  }

  @Override
  protected SslHandler newSslHandler(ChannelHandlerContext ctx, SslContext context) {
    SslHandler h = super.newSslHandler(ctx, context);
    h.handshakeFuture()
        .addListener(
            f -> {
              if (f.isSuccess() && !Tls.ALPN.equals(h.applicationProtocol())) {
                log.warn(
                    "{}: closing because: direct TLS connection without ALPN protocol \"postgresql\"",
                    ctx.channel().remoteAddress());
                ctx.close();
              }
            });
    return h;
  }
}
