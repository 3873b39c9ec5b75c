using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>The <see cref="IFieldReader{T}"/> implementations.</summary>
internal static class FieldReaders
{
    /// <summary>Reads a number.</summary>
    internal readonly struct Number : IFieldReader<double>
    {
        public static bool TryRead(in FieldValue value, out double result)
        {
            if (value.Type == FieldType.Number)
            {
                result = value.AsNumber();
                return true;
            }

            result = 0;
            return false;
        }
    }

    /// <summary>Reads a date-time as UTC ticks.</summary>
    internal readonly struct Instant : IFieldReader<long>
    {
        public static bool TryRead(in FieldValue value, out long result)
        {
            if (value.Type == FieldType.DateTime)
            {
                result = value.AsDateTime().UtcTicks;
                return true;
            }

            result = 0;
            return false;
        }
    }

    /// <summary>Reads a boolean.</summary>
    internal readonly struct Boolean : IFieldReader<bool>
    {
        public static bool TryRead(in FieldValue value, out bool result)
        {
            if (value.Type == FieldType.Boolean)
            {
                result = value.AsBoolean();
                return true;
            }

            result = false;
            return false;
        }
    }
}
