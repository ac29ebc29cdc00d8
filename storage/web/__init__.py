"""What the web page (bot/web/) keeps: login links, sessions, the groups' page settings."""
