public enum MienCorePlaceholder {}
