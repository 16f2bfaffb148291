"""HJ 212 TCP server around greenport.protocol, durable spool, device simulator."""
