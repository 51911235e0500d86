"""domain/lifecycle"""
