"""Project screening on 含金量 and 含绿量."""
