"""What a 团长 and her members meet in their first week: small replies that must say exactly what happened."""
